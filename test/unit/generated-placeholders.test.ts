import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewayPlaceholders as generated } from '../../generated/apigateway-placeholders.ts';
import { gatewayPlaceholders } from '../../scripts/lib/openapi.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('one source of truth for the API Gateway placeholders', () => {
  it('generated/ holds the placeholders the generator wrote into apigateway.json', () => {
    expect(generated).toEqual(gatewayPlaceholders);
    const definition = readFileSync(path.join(root, 'generated', 'apigateway.json'), 'utf8');
    for (const placeholder of Object.values(generated)) expect(definition).toContain(placeholder);
  });

  it('infra/ imports nothing from scripts/', () => {
    const files = readdirSync(path.join(root, 'infra'), { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.filter((file) =>
      /from '(\.\.\/)+scripts\//.test(readFileSync(path.join(root, 'infra', file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});

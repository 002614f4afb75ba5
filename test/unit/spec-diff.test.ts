/**
 * The breaking-change gate (`npm run spec:diff`): each variant is a copy of openapi/ in a temp
 * folder with one edit, bundled by Redocly and compared with the unedited spec.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseYaml, stringifyYaml } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../../scripts/lib/openapi.ts';
import { bundleSpecAt, compareSpecs, formatSpecDiff } from '../../scripts/lib/spec-diff.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'taskboard-spec-diff-'));
let base: OpenApiDocument;

// biome-ignore lint/suspicious/noExplicitAny: the edits reach into arbitrary nodes of the spec's YAML.
type Yaml = Record<string, any>;

/** A copy of the spec with `edits` applied to its YAML files (path below openapi/ → mutation). */
async function variant(edits: Record<string, (node: Yaml) => void>): Promise<OpenApiDocument> {
  const dir = mkdtempSync(path.join(scratch, 'variant-'));
  cpSync(path.join(root, 'openapi'), path.join(dir, 'openapi'), { recursive: true });
  cpSync(path.join(root, 'redocly.yaml'), path.join(dir, 'redocly.yaml'));
  for (const [file, edit] of Object.entries(edits)) {
    const full = path.join(dir, 'openapi', file);
    const node = (existsSync(full) ? parseYaml(readFileSync(full, 'utf8')) : {}) as Yaml;
    edit(node);
    writeFileSync(full, stringifyYaml(node));
  }
  return bundleSpecAt(dir);
}

beforeAll(async () => {
  base = await bundleSpecAt(root);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectBreaking(head: OpenApiDocument, pointerPart: string) {
  const diff = compareSpecs(base, head);
  const report = formatSpecDiff(diff, { base: 'base', head: 'variant' });
  expect(diff.passes, report).toBe(false);
  expect(
    diff.breaking.some((change) => change.pointer.startsWith('#/paths/') && change.pointer.includes(pointerPart)),
    report,
  ).toBe(true);
  expect(report).toContain('FAIL');
  return diff;
}

describe('spec:diff', () => {
  it('passes an unchanged spec', () => {
    const diff = compareSpecs(base, structuredClone(base));
    expect(diff.changes).toEqual([]);
    expect(diff.passes).toBe(true);
  });

  it('fails on a removed enum value (medium → gone)', async () => {
    const head = await variant({
      'components/schemas/TaskPriority.yaml': (schema) => {
        schema.enum = ['low', 'high'];
      },
    });
    expectBreaking(head, 'enum');
  });

  it('fails on a renamed enum value (medium → normal)', async () => {
    const head = await variant({
      'components/schemas/TaskPriority.yaml': (schema) => {
        schema.enum = ['low', 'normal', 'high'];
      },
    });
    expectBreaking(head, 'enum');
  });

  it('fails on a removed response field', async () => {
    const head = await variant({
      'components/schemas/Task.yaml': (schema) => {
        delete schema.properties.dueDate;
        schema.required = schema.required.filter((name: string) => name !== 'dueDate');
      },
    });
    expectBreaking(head, 'dueDate');
  });

  it('fails on a new required request field', async () => {
    const head = await variant({
      'components/schemas/TaskCreate.yaml': (schema) => {
        schema.required = [...schema.required, 'priority'];
      },
    });
    expectBreaking(head, 'required');
  });

  it('fails on a tightened constraint', async () => {
    const head = await variant({
      'components/schemas/TaskCreate.yaml': (schema) => {
        schema.properties.title.maxLength = 100;
      },
    });
    expectBreaking(head, 'maxLength');
  });

  it('fails on a removed operation', async () => {
    const head = await variant({
      'paths/tasks_{taskId}.yaml': (pathItem) => {
        delete pathItem.delete;
      },
    });
    expectBreaking(head, 'delete');
  });

  it('passes additive changes: an optional request field, a new response field, a new operation', async () => {
    const head = await variant({
      'components/schemas/TaskCreate.yaml': (schema) => {
        schema.properties.labels = { type: 'array', items: { type: 'string', maxLength: 40 }, maxItems: 20 };
      },
      'components/schemas/Task.yaml': (schema) => {
        schema.properties.labels = { type: 'array', items: { type: 'string' } };
      },
      'paths/health_live.yaml': (pathItem) => {
        const health = parseYaml(readFileSync(path.join(root, 'openapi', 'paths', 'health.yaml'), 'utf8')) as Yaml;
        pathItem.get = { ...health.get, operationId: 'checkLiveness' };
      },
      'openapi.yaml': (document) => {
        document.paths['/health/live'] = { $ref: 'paths/health_live.yaml' };
      },
    });
    expect(head.paths['/health/live']).toBeDefined();
    const diff = compareSpecs(base, head);
    const report = formatSpecDiff(diff, { base: 'base', head: 'variant' });
    expect(diff.changes.length, report).toBeGreaterThan(0);
    expect(diff.breaking, report).toEqual([]);
    expect(diff.passes, report).toBe(true);
  });

  it("passes a breaking change when info.version's major number is raised", async () => {
    const head = await variant({
      'components/schemas/TaskPriority.yaml': (schema) => {
        schema.enum = ['low', 'high'];
      },
      'openapi.yaml': (document) => {
        document.info.version = '2.0.0';
      },
    });
    const diff = compareSpecs(base, head);
    expect(diff.breaking.length).toBeGreaterThan(0);
    expect(diff.majorRaised).toBe(true);
    expect(diff.passes).toBe(true);
  });
});

/**
 * The breaking-change gate (`npm run spec:diff`): each variant is a copy of openapi/ in a temp
 * folder with one edit, bundled by Redocly and compared with the unedited spec. Each rule is tested
 * both ways: the edit that breaks a client fails the gate, its counterpart passes. Field and
 * parameter names the variants invent are checked to be free in the spec, so a real field of that
 * name never turns a variant into a different change.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseYaml, stringifyYaml } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../../scripts/lib/openapi.ts';
import { bundleSpecAt, compareSpecs, formatSpecDiff, type SpecDiff } from '../../scripts/lib/spec-diff.ts';

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

/** `wanted`, or `wanted` with a number appended, whichever `taken` does not hold. */
function freeName(wanted: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  let name = wanted;
  for (let suffix = 2; used.has(name); suffix += 1) name = `${wanted}${suffix}`;
  return name;
}

const schemaProperties = (name: string) =>
  Object.keys((base.components?.schemas?.[name] as { properties?: object } | undefined)?.properties ?? {});

function judged(head: OpenApiDocument) {
  const diff = compareSpecs(base, head);
  return { diff, report: formatSpecDiff(diff, { base: 'base', head: 'variant' }) };
}

function expectBreaking(head: OpenApiDocument, pointerPart: string) {
  const { diff, report } = judged(head);
  expect(diff.passes, report).toBe(false);
  expect(
    diff.breaking.some((change) => change.pointer.startsWith('#/paths/') && change.pointer.includes(pointerPart)),
    report,
  ).toBe(true);
  expect(report).toContain('FAIL');
  return diff;
}

function expectPasses(head: OpenApiDocument) {
  const { diff, report } = judged(head);
  expect(diff.changes.length, report).toBeGreaterThan(0);
  expect(diff.breaking, report).toEqual([]);
  expect(diff.passes, report).toBe(true);
  expect(report).toContain('OK: no breaking change.');
  return diff;
}

/** Every change is located in the paths (where a client meets it), none in the components alone. */
function expectJudgedInPaths(diff: SpecDiff) {
  expect(diff.changes.filter((change) => !change.pointer.startsWith('#/paths/'))).toEqual([]);
}

/** The change: tasks gain `labels` (required in Task, optional in TaskCreate/TaskUpdate) and listTasks an optional filter. */
function labelsChange(options: { requiredOnCreate: boolean; filterRequired: boolean }) {
  const field = freeName('labels', [...schemaProperties('Task'), ...schemaProperties('TaskCreate')]);
  const filter = freeName('label', ['cursor', 'limit', 'status', 'ownerId', field]);
  const labels = {
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[a-z0-9-]+$' },
    maxItems: 20,
    uniqueItems: true,
  };
  return variant({
    'components/schemas/Task.yaml': (schema) => {
      schema.properties[field] = labels;
      schema.required = [...schema.required, field];
    },
    'components/schemas/TaskCreate.yaml': (schema) => {
      schema.properties[field] = { ...labels, default: [] };
      if (options.requiredOnCreate) schema.required = [...schema.required, field];
    },
    'components/schemas/TaskUpdate.yaml': (schema) => {
      schema.properties[field] = labels;
    },
    'paths/tasks.yaml': (pathItem) => {
      pathItem.get.parameters.push({
        name: filter,
        in: 'query',
        required: options.filterRequired,
        description: 'Only tasks with this label.',
        schema: labels.items,
      });
    },
  });
}

// Each variant is bundled by Redocly (about 2 s alone, several on a busy machine).
describe('spec:diff', { timeout: 30_000 }, () => {
  it('passes an unchanged spec', () => {
    const diff = compareSpecs(base, structuredClone(base));
    expect(diff.changes).toEqual([]);
    expect(diff.passes).toBe(true);
  });

  describe('the issue’s change: an array field on tasks and an optional filter', () => {
    it('passes it: required in the response-only Task, optional in the requests, an optional query parameter', async () => {
      const diff = expectPasses(await labelsChange({ requiredOnCreate: false, filterRequired: false }));
      expectJudgedInPaths(diff);
      const parameter = diff.changes.find((change) => change.pointer.startsWith('#/paths/~1tasks/get/parameters/'));
      expect(parameter?.description).toMatch(/^\[Added\] optional query parameter/);
    });

    it('fails the same change when the new field is required on create', async () => {
      expectBreaking(await labelsChange({ requiredOnCreate: true, filterRequired: false }), '/requestBody/');
    });

    it('fails the same change when the new query parameter is required', async () => {
      const diff = expectBreaking(
        await labelsChange({ requiredOnCreate: false, filterRequired: true }),
        '/parameters/',
      );
      expect(diff.breaking.map((change) => change.description).join('\n')).toMatch(/required query parameter/);
    });
  });

  describe('a new required property is judged by where the schema is used', () => {
    it('passes it on a schema used only in responses (Task)', async () => {
      const field = freeName('archivedAt', schemaProperties('Task'));
      const diff = expectPasses(
        await variant({
          'components/schemas/Task.yaml': (schema) => {
            schema.properties[field] = { type: 'string', format: 'date-time', nullable: true };
            schema.required = [...schema.required, field];
          },
        }),
      );
      expectJudgedInPaths(diff);
    });

    it('fails it on a request schema (TaskCreate)', async () => {
      expectBreaking(
        await variant({
          'components/schemas/TaskCreate.yaml': (schema) => {
            schema.required = [...schema.required, 'priority'];
          },
        }),
        'required',
      );
    });
  });

  describe('a response is judged by the clients that read it', () => {
    it('fails an added enum value where a response carries it, and only there', async () => {
      const diff = expectBreaking(
        await variant({
          'components/schemas/TaskStatus.yaml': (schema) => {
            schema.enum = [...schema.enum, freeName('blocked', schema.enum)];
          },
        }),
        '/responses/',
      );
      expect(diff.breaking.filter((change) => !change.pointer.includes('/responses/'))).toEqual([]);
      expect(diff.changes.some((c) => c.pointer.includes('/requestBody/') && c.type === 'non-breaking')).toBe(true);
    });

    it('passes a narrowed response value (nullable removed from Task.dueDate)', async () => {
      expectPasses(
        await variant({
          'components/schemas/Task.yaml': (schema) => {
            delete schema.properties.dueDate.nullable;
          },
        }),
      );
    });

    it('fails a widened response value (Task.title may now be null)', async () => {
      expectBreaking(
        await variant({
          'components/schemas/Task.yaml': (schema) => {
            schema.properties.title.nullable = true;
          },
        }),
        'nullable',
      );
    });

    it('passes a tighter limit on a response value (Task.description maxLength)', async () => {
      expectPasses(
        await variant({
          'components/schemas/Task.yaml': (schema) => {
            schema.properties.description.maxLength = 1000;
          },
        }),
      );
    });

    it('fails a changed type of a response value', async () => {
      expectBreaking(
        await variant({
          'components/schemas/Task.yaml': (schema) => {
            schema.properties.title = { type: 'integer' };
          },
        }),
        'title',
      );
    });
  });

  describe('a request is judged by what the server accepts', () => {
    it('fails a narrowed request value (nullable removed from TaskCreate.dueDate)', async () => {
      expectBreaking(
        await variant({
          'components/schemas/TaskCreate.yaml': (schema) => {
            delete schema.properties.dueDate.nullable;
          },
        }),
        'nullable',
      );
    });

    it('passes a widened request value (a longer title accepted on create)', async () => {
      expectPasses(
        await variant({
          'components/schemas/TaskCreate.yaml': (schema) => {
            schema.properties.title.maxLength = 400;
          },
        }),
      );
    });

    it('fails on a tightened constraint', async () => {
      expectBreaking(
        await variant({
          'components/schemas/TaskCreate.yaml': (schema) => {
            schema.properties.title.maxLength = 100;
          },
        }),
        'maxLength',
      );
    });

    it('fails on a removed enum value (medium → gone)', async () => {
      expectBreaking(
        await variant({
          'components/schemas/TaskPriority.yaml': (schema) => {
            schema.enum = ['low', 'high'];
          },
        }),
        'enum',
      );
    });

    it('fails on a renamed enum value (medium → normal)', async () => {
      expectBreaking(
        await variant({
          'components/schemas/TaskPriority.yaml': (schema) => {
            schema.enum = ['low', 'normal', 'high'];
          },
        }),
        'enum',
      );
    });
  });

  describe('components are judged through their use', () => {
    it('passes a breaking edit of a component no operation uses', async () => {
      const unused = freeName('Draft', Object.keys(base.components?.schemas ?? {}));
      const first = await variant({
        [`components/schemas/${unused}.yaml`]: (schema) => {
          Object.assign(schema, { type: 'object', required: ['a'], properties: { a: { type: 'string' } } });
        },
        'openapi.yaml': (document) => {
          document.components.schemas = { [unused]: { $ref: `components/schemas/${unused}.yaml` } };
        },
      });
      expect(first.components?.schemas?.[unused]).toBeDefined();
      const second = structuredClone(first);
      (second.components?.schemas?.[unused] as Yaml).required = ['a', 'b'];
      const diff = compareSpecs(first, second);
      expect(diff.changes).toEqual([]);
      expect(diff.passes).toBe(true);
    });
  });

  it('fails on a removed response field', async () => {
    expectBreaking(
      await variant({
        'components/schemas/Task.yaml': (schema) => {
          delete schema.properties.dueDate;
          schema.required = schema.required.filter((name: string) => name !== 'dueDate');
        },
      }),
      'dueDate',
    );
  });

  it('fails on a removed operation', async () => {
    expectBreaking(
      await variant({
        'paths/tasks_{taskId}.yaml': (pathItem) => {
          delete pathItem.delete;
        },
      }),
      'delete',
    );
  });

  it('passes additive changes: an optional request field, a new response field, a new operation', async () => {
    const field = freeName('specDiffProbe', [...schemaProperties('Task'), ...schemaProperties('TaskCreate')]);
    const head = await variant({
      'components/schemas/TaskCreate.yaml': (schema) => {
        schema.properties[field] = { type: 'array', items: { type: 'string', maxLength: 40 }, maxItems: 20 };
      },
      'components/schemas/Task.yaml': (schema) => {
        schema.properties[field] = { type: 'array', items: { type: 'string' } };
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
    expectPasses(head);
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

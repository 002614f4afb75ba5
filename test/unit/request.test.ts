import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import draft7Vocabularies from 'ajv/dist/vocabularies/draft7.js';
import { describe, expect, it } from 'vitest';
import spec from '../../generated/openapi.json' with { type: 'json' };
import {
  BadRequestError,
  type FieldError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../handlers/runtime/errors.ts';
import { describeError, parseRequest } from '../../handlers/runtime/request.ts';
import {
  arrayEncoding,
  listOperations,
  type OpenApiDocument,
  type ParameterObject,
  requestSchemas,
} from '../../scripts/lib/openapi.ts';
import { lintAndBundle, SpecLintError, specFiles } from '../../scripts/lib/redocly.ts';
import { createProxyEvent, type EventOptions } from '../support/factories.ts';
import { thrownBy } from './thrown.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const maxBodyBytes = 64 * 1024;
const taskId = '3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b';
const userId = '9a8b7c6d-5e4f-4321-8fed-cba987654321';

const parse = (options: EventOptions) => parseRequest(createProxyEvent(options), maxBodyBytes);

/** The field errors of the BadRequestError that parsing `options` throws. */
function fieldErrors(options: EventOptions): FieldError[] {
  const error = thrownBy(() => parse(options));
  expect(error).toBeInstanceOf(BadRequestError);
  return (error as BadRequestError).errors;
}

describe('parseRequest', () => {
  describe('routing', () => {
    it.each([
      ['GET', '/health', 'getHealth'],
      ['POST', '/users', 'registerUser'],
      ['GET', '/users', 'listUsers'],
      ['GET', '/users/me', 'getCurrentUser'],
      ['GET', `/users/${userId}`, 'getUser'],
      ['DELETE', `/users/${userId}`, 'deleteUser'],
      ['GET', '/tasks', 'listTasks'],
      ['GET', `/tasks/${taskId}`, 'getTask'],
      ['DELETE', `/tasks/${taskId}`, 'deleteTask'],
    ])('when the request is %s %s, routes it to %s', (method, path, operationId) => {
      // Arrange
      const options = { method, path };

      // Act
      const request = parse(options);

      // Assert
      expect(request.operationId).toBe(operationId);
    });

    it('when the event names the resource API Gateway matched, routes and decodes as by the path alone; a resource the path does not fit is ignored', () => {
      // Arrange: the task id's first character percent-encoded, as a client may send it.
      const named = {
        ...createProxyEvent({ method: 'GET', path: `/tasks/%33${taskId.slice(1)}` }),
        resource: '/tasks/{taskId}',
      };
      const misnamed = { ...createProxyEvent({ method: 'GET', path: '/users/me' }), resource: '/tasks/{taskId}' };
      const unknown = { ...createProxyEvent({ method: 'GET', path: '/health' }), resource: '/{proxy+}' };
      const wrongMethod = { ...createProxyEvent({ method: 'PUT', path: '/tasks' }), resource: '/tasks' };

      // Act
      const [fromNamed, fromMisnamed, fromUnknown] = [named, misnamed, unknown].map((event) =>
        parseRequest(event, maxBodyBytes),
      );

      // Assert
      expect(fromNamed).toMatchObject({ operationId: 'getTask', params: { taskId } });
      expect(fromMisnamed?.operationId).toBe('getCurrentUser');
      expect(fromUnknown?.operationId).toBe('getHealth');
      expect(thrownBy(() => parseRequest(wrongMethod, maxBodyBytes))).toBeInstanceOf(MethodNotAllowedError);
    });

    it('when the path is /users/me, routes to getCurrentUser rather than getUser with userId "me"', () => {
      // Arrange
      const options = { method: 'GET', path: '/users/me' };

      // Act
      const request = parse(options);

      // Assert
      expect(request.operationId).toBe('getCurrentUser');
      expect(request.params).toEqual({});
    });

    it('when the path names a task, passes its id as a path parameter', () => {
      // Arrange
      const options = { method: 'GET', path: `/tasks/${taskId}` };

      // Act
      const request = parse(options);

      // Assert
      expect(request.params).toEqual({ taskId });
    });

    it.each([
      ['an unknown path', 'GET', '/projects'],
      ['a path below a resource', 'GET', `/tasks/${taskId}/not-in-the-spec`],
    ])('when the request is for %s, throws 404', (_case, method, path) => {
      // Arrange
      const options = { method, path };

      // Act
      const error = thrownBy(() => parse(options));

      // Assert
      expect(error).toBeInstanceOf(NotFoundError);
    });

    it.each([
      ['PUT', '/tasks', 'GET, POST, OPTIONS'],
      ['POST', `/tasks/${taskId}`, 'GET, DELETE, PATCH, OPTIONS'],
      ['DELETE', '/users/me', 'GET, OPTIONS'],
      ['PATCH', `/users/${userId}`, 'GET, PUT, DELETE, OPTIONS'],
      ['HEAD', '/health', 'GET, OPTIONS'],
    ])('when %s is sent to %s, a documented path, throws 405 with Allow: %s', (method, path, allow) => {
      // Arrange
      const options = { method, path };

      // Act
      const error = thrownBy(() => parse(options));

      // Assert
      expect(error).toBeInstanceOf(MethodNotAllowedError);
      expect((error as MethodNotAllowedError).headers).toEqual({ Allow: allow });
    });

    it('when a task id is not a UUID, throws 400 pointing at /path/taskId', () => {
      // Arrange
      const options = { method: 'GET', path: '/tasks/not-a-uuid' };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors).toEqual([{ path: '/path/taskId', message: expect.any(String) }]);
    });
  });

  describe('query parameters', () => {
    it('when limit is a numeric string, coerces it to a number', () => {
      // Arrange
      const options = { method: 'GET', path: '/tasks', query: { limit: '5', status: 'done' } };

      // Act
      const request = parse(options);

      // Assert
      expect(request.query).toEqual({ limit: 5, status: 'done' });
    });

    it('when limit is absent, applies the documented default of 20', () => {
      // Arrange
      const options = { method: 'GET', path: '/users' };

      // Act
      const request = parse(options);

      // Assert
      expect(request.query).toEqual({ limit: 20 });
    });

    it.each([
      ['0', { limit: '0' }, '/query/limit'],
      ['101', { limit: '101' }, '/query/limit'],
      ['abc', { limit: 'abc' }, '/query/limit'],
      ['an unknown status', { status: 'blocked' }, '/query/status'],
      ['a non-UUID ownerId', { ownerId: '42' }, '/query/ownerId'],
      ['a cursor with forbidden characters', { cursor: "' OR 1=1" }, '/query/cursor'],
    ])('when the query has %s, throws 400 pointing at the parameter', (_case, query, path) => {
      // Arrange
      const options = { method: 'GET', path: '/tasks', query };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors.map((error) => error.path)).toContain(path);
    });
  });

  describe('headers', () => {
    it('when documented headers arrive in any casing, passes them under their documented names only', () => {
      // Arrange
      const options = {
        method: 'PATCH',
        path: `/tasks/${taskId}`,
        headers: { 'if-match': '"2"', 'X-Custom': 'ignored' },
        body: { title: 'Renamed' },
      };

      // Act
      const request = parse(options);

      // Assert
      expect(request.headers).toEqual({ 'If-Match': '"2"' });
    });
  });

  describe('body', () => {
    it('when the body is valid JSON for the operation, returns it parsed', () => {
      // Arrange
      const body = { title: 'Write tests', priority: 'high', dueDate: '2026-03-01' };

      // Act
      const request = parse({ method: 'POST', path: '/tasks', body });

      // Assert
      expect(request.operationId).toBe('createTask');
      expect(request.body).toEqual(body);
    });

    it('when the Content-Type is application/json with a charset, accepts it', () => {
      // Arrange
      const options = {
        method: 'POST',
        path: '/tasks',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ title: 'Charset' }),
      };

      // Act
      const request = parse(options);

      // Assert
      expect(request.body).toEqual({ title: 'Charset' });
    });

    it('when the body has an unknown field, throws 400 pointing at /body/<field>', () => {
      // Arrange
      const options = { method: 'POST', path: '/tasks', body: { title: 'Valid', owner: 'someone-else' } };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors).toEqual([{ path: '/body/owner', message: 'is not a known field' }]);
    });

    it('when a required field is missing, throws 400 pointing at it', () => {
      // Arrange
      const options = { method: 'POST', path: '/tasks', body: { description: 'No title' } };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors).toEqual([{ path: '/body/title', message: expect.any(String) }]);
    });

    it.each([
      ['title as a number', { title: 42 }, '/body/title'],
      ['an unknown status', { title: 'A', status: 'blocked' }, '/body/status'],
      ['an impossible date', { title: 'A', dueDate: '2026-02-30' }, '/body/dueDate'],
      ['a 201-character title', { title: 'x'.repeat(201) }, '/body/title'],
    ])('when the body has %s, throws 400 pointing at the field', (_case, body, path) => {
      // Arrange
      const options = { method: 'POST', path: '/tasks', body };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors.map((error) => error.path)).toContain(path);
    });

    it.each([
      ['an array', '[]'],
      ['null', 'null'],
      ['a string', '"title"'],
    ])('when the JSON body is %s, throws 400', (_case, text) => {
      // Arrange
      const options = { method: 'POST', path: '/tasks', headers: { 'Content-Type': 'application/json' }, body: text };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors.map((error) => error.path)).toContain('/body');
    });

    it('when the body is not valid JSON, throws 400 saying so', () => {
      // Arrange
      const options = {
        method: 'POST',
        path: '/tasks',
        headers: { 'Content-Type': 'application/json' },
        body: '{"title": "unterminated',
      };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors).toEqual([{ path: '/body', message: 'must be valid JSON' }]);
    });

    it.each([
      ['no body', undefined],
      ['an empty body', ''],
    ])('when the operation needs a body and %s is sent, throws 400 saying it is required', (_case, body) => {
      // Arrange
      const options = { method: 'POST', path: '/tasks', headers: { 'Content-Type': 'application/json' }, body };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors).toEqual([{ path: '/body', message: 'is required' }]);
    });

    it('when the body is sent as text/plain, throws 415', () => {
      // Arrange
      const options = {
        method: 'POST',
        path: '/tasks',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ title: 'Plain' }),
      };

      // Act
      const error = thrownBy(() => parse(options));

      // Assert
      expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    });

    it('when the body is larger than the limit, throws 413 before parsing it', () => {
      // Arrange
      const options = {
        method: 'POST',
        path: '/tasks',
        headers: { 'Content-Type': 'application/json' },
        body: `{"title":"${'x'.repeat(maxBodyBytes)}"}`,
      };

      // Act
      const error = thrownBy(() => parse(options));

      // Assert
      expect(error).toBeInstanceOf(PayloadTooLargeError);
    });

    it('when the limit is counted, counts UTF-8 bytes rather than characters', () => {
      // Arrange: fewer characters than the limit, but more bytes (each "é" is two bytes)
      const title = 'é'.repeat(maxBodyBytes / 2);
      const options = { method: 'POST', path: '/tasks', body: { title } };

      // Act
      const error = thrownBy(() => parse(options));

      // Assert
      expect(error).toBeInstanceOf(PayloadTooLargeError);
    });

    it('when a base64-encoded body is valid UTF-8 JSON, decodes it', () => {
      // Arrange
      const event = createProxyEvent({
        method: 'POST',
        path: '/tasks',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify({ title: 'Größe' })).toString('base64'),
      });
      event.isBase64Encoded = true;

      // Act
      const request = parseRequest(event, maxBodyBytes);

      // Assert
      expect(request.body).toEqual({ title: 'Größe' });
    });

    it('when a base64-encoded body is not valid UTF-8, throws 400', () => {
      // Arrange
      const event = createProxyEvent({
        method: 'POST',
        path: '/tasks',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64'),
      });
      event.isBase64Encoded = true;

      // Act
      const error = thrownBy(() => parseRequest(event, maxBodyBytes));

      // Assert
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).errors).toEqual([{ path: '/body', message: 'must be UTF-8 text' }]);
    });

    it('when updateUser leaves out optional fields, accepts a body with only the name', () => {
      // Arrange
      const options = { method: 'PUT', path: `/users/${userId}`, body: { name: 'Only a name' } };

      // Act
      const request = parse(options);

      // Assert
      expect(request.operationId).toBe('updateUser');
      expect(request.body).toEqual({ name: 'Only a name' });
    });

    it('when updateTask gets an empty object, throws 400 (at least one field is needed)', () => {
      // Arrange
      const options = { method: 'PATCH', path: `/tasks/${taskId}`, body: {} };

      // Act
      const errors = fieldErrors(options);

      // Assert
      expect(errors.map((error) => error.path)).toContain('/body');
    });
  });
});

/** Every JSON Schema keyword that appears in a request schema of the spec (parameters and bodies). */
function requestKeywords(): Set<string> {
  const document = spec as unknown as OpenApiDocument;
  const keywords = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node)) {
      keywords.add(key);
      if (key === 'properties') Object.values(value as object).forEach(visit);
      else if (key !== 'enum' && key !== 'default') visit(value);
    }
  };
  for (const { operation, pathItem } of listOperations(document)) {
    const { params, body } = requestSchemas(document, pathItem, operation);
    visit(params);
    visit(body);
  }
  return keywords;
}

/** Every keyword of Ajv's standard (draft-07) vocabularies, as Ajv itself lists them. */
function ajvKeywords(): string[] {
  const keywords: string[] = [];
  const visit = (entry: unknown): void => {
    if (Array.isArray(entry)) entry.forEach(visit);
    else if (typeof entry === 'string') keywords.push(entry);
    else if (entry !== null && typeof entry === 'object' && 'keyword' in entry)
      keywords.push(...[entry.keyword as string | string[]].flat());
  };
  visit(draft7Vocabularies);
  return keywords;
}

/** The fields of an OpenAPI 3.0 Schema Object (OAS 3.0.3, "Schema Object"): every keyword a request schema of the spec can hold. */
const openApi30SchemaFields = new Set([
  ...['title', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength'],
  ...['pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required', 'enum', 'type'],
  ...['allOf', 'oneOf', 'anyOf', 'not', 'items', 'properties', 'additionalProperties', 'description', 'format'],
  ...[
    'default',
    'nullable',
    'discriminator',
    'readOnly',
    'writeOnly',
    'xml',
    'externalDocs',
    'example',
    'deprecated',
    '$ref',
  ],
]);

describe('describeError', () => {
  // Annotations, identifiers and structure: Ajv reports no error under these names (a failing
  // `then`/`else` is reported as `if`; an `allOf` member's, a property's or an item's error under its own keyword).
  const notValidating = new Set([
    ...['$schema', '$id', '$defs', '$vocabulary', '$comment', '$ref', 'definitions', 'id', 'items'],
    ...['properties', 'patternProperties', 'allOf', 'then', 'else', 'default', 'title', 'description'],
    ...['deprecated', 'readOnly', 'writeOnly', 'examples', 'contentMediaType', 'contentEncoding', 'contentSchema'],
  ]);
  const validating = ajvKeywords().filter((keyword) => !notValidating.has(keyword));

  it('words every validating keyword an OpenAPI 3.0 schema may hold, as Ajv names it, so no error reads "must satisfy …"', () => {
    // Arrange
    const keywords = validating.filter((keyword) => openApi30SchemaFields.has(keyword));
    const params = { limit: 1, comparison: '<=', allowedValues: ['a'], multipleOf: 2 };

    // Act
    const unworded = keywords.filter((keyword) => describeError({ keyword, params }).startsWith('must satisfy'));

    // Assert
    expect(keywords).toEqual(
      expect.arrayContaining(['maxItems', 'uniqueItems', 'multipleOf', 'anyOf', 'oneOf', 'not', 'nullable']),
    );
    expect(unworded).toEqual([]);
  });

  it("never meets JSON Schema's later keywords (const, if, contains…): the spec's lint refuses each of them, so npm run generate stops first", async () => {
    // Arrange: each keyword Ajv validates that an OpenAPI 3.0 schema may not hold, alone on a request body's field.
    const later = validating.filter((keyword) => !openApi30SchemaFields.has(keyword));
    const values: Record<string, string> = { const: 'x', additionalItems: 'false' };
    const dir = mkdtempSync(path.join(tmpdir(), 'taskboard-keywords-'));
    try {
      cpSync(path.join(root, 'openapi'), path.join(dir, 'openapi'), { recursive: true });
      cpSync(path.join(root, 'redocly.yaml'), path.join(dir, 'redocly.yaml'));
      const file = path.join(dir, 'openapi', 'components', 'schemas', 'TaskCreate.yaml');
      const original = readFileSync(file, 'utf8');
      const accepted: string[] = [];

      // Act
      for (const keyword of later) {
        writeFileSync(file, original.replace('  title:\n', `  title:\n    ${keyword}: ${values[keyword] ?? '{}'}\n`));
        const refusal = await lintAndBundle(specFiles(dir)).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (!(refusal instanceof SpecLintError)) accepted.push(keyword);
      }

      // Assert
      expect(later).toEqual(expect.arrayContaining(['const', 'if', 'contains', 'propertyNames', 'dependencies']));
      expect(accepted).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('words every validating keyword the request schemas use', () => {
    // Arrange
    const keywords = [...requestKeywords()].filter((keyword) => !notValidating.has(keyword));

    // Act
    const unworded = keywords.filter((keyword) =>
      describeError({ keyword, params: { limit: 1, comparison: '<=', allowedValues: ['a'] } }).startsWith(
        'must satisfy',
      ),
    );

    // Assert
    expect(keywords.length).toBeGreaterThan(5);
    expect(unworded).toEqual([]);
  });

  it.each([
    [{ keyword: 'type', params: { type: 'string,null' } }, 'must be string or null'],
    [{ keyword: 'maxLength', params: { limit: 200 } }, 'must be at most 200 characters long'],
    [{ keyword: 'minimum', params: { comparison: '>=', limit: 1 } }, 'must be >= 1'],
    [{ keyword: 'enum', params: { allowedValues: ['todo', 'done'] } }, 'must be one of: "todo", "done"'],
    [{ keyword: 'format', params: { format: 'uuid' } }, 'must be a valid uuid'],
    [{ keyword: 'minProperties', params: { limit: 1 } }, 'must have at least 1 field'],
    [{ keyword: 'maxItems', params: { limit: 20 } }, 'must have at most 20 items'],
    [{ keyword: 'minItems', params: { limit: 1 } }, 'must have at least 1 item'],
    [{ keyword: 'uniqueItems', params: { i: 0, j: 2 } }, 'must not repeat an item (items 2 and 0 are the same)'],
  ])('when Ajv reports %j, says "%s"', (error, message) => {
    // Act / Assert
    expect(describeError(error)).toBe(message);
  });
});

describe('arrayEncoding (how the generator tells the runtime to read an array parameter)', () => {
  const array = { type: 'array' };

  it.each([
    [{ in: 'query' }, 'repeated'],
    [{ in: 'query', style: 'form', explode: true }, 'repeated'],
    [{ in: 'query', explode: false }, 'comma'],
    [{ in: 'path' }, 'comma'],
    [{ in: 'header', style: 'simple', explode: true }, 'comma'],
  ] as const)('when the parameter is %j, reads it %s', (where, encoding) => {
    // Arrange
    const parameter = { name: 'label', ...where } as ParameterObject;

    // Act / Assert
    expect(arrayEncoding(parameter, array)).toBe(encoding);
    expect(arrayEncoding(parameter, { type: ['array', 'null'] })).toBe(encoding);
  });

  it('when the parameter is not an array, gives no encoding', () => {
    // Act / Assert
    expect(arrayEncoding({ name: 'status', in: 'query' }, { type: 'string' })).toBeUndefined();
  });

  it.each([
    { in: 'query', style: 'spaceDelimited' },
    { in: 'query', style: 'pipeDelimited' },
    { in: 'query', style: 'deepObject', explode: true },
    { in: 'path', style: 'matrix' },
  ] as const)('when an array parameter uses %j, refuses it at generation, naming the parameter', (where) => {
    // Arrange
    const parameter = { name: 'label', ...where } as ParameterObject;

    // Act / Assert
    expect(() => arrayEncoding(parameter, array)).toThrow(/parameter label .* is an array with style/);
  });
});

describe('generated/validators', () => {
  it('carry no schemaPath (the runtime words an error from its keyword, params and instancePath) and add each error in one expression: bundle bytes nothing needs', () => {
    // Arrange
    const files = ['validators.params.js', 'validators.body.js'].map((name) =>
      readFileSync(path.join(root, 'generated', name), 'utf8'),
    );

    // Act / Assert
    for (const code of files) {
      expect(code).toContain('(vErrors ??= []).push({instancePath');
      expect(code).not.toContain('schemaPath');
      expect(code).not.toContain('vErrors === null');
    }
  });
});

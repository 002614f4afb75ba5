/**
 * Peer: openapi-backend as its documentation builds an API Gateway proxy function — one
 * `OpenAPIBackend` over the whole spec (generated/openapi.json) with request validation on (its
 * default, with ajv-formats added through `customizeAjv`, or `format: uuid` is ignored), handlers
 * registered by operationId plus `validationFail`, `notFound`, `notImplemented` and
 * `unauthorizedHandler`, a security handler for the spec's scheme that accepts what API Gateway's
 * Cognito authorizer let through, `init()` at module load and `handleRequest` per event. The
 * statements are the floor's.
 */
import addFormatsModule from 'ajv-formats';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type Context, type Document, OpenAPIBackend } from 'openapi-backend';
import definition from '../../../generated/openapi.json' with { type: 'json' };
import { createPool, createTask, decodeCursor, getTask, listTasks, type NewTask } from '../../floor/statements.ts';

const addFormats = addFormatsModule.default;
const pool = createPool('taskboard-bench-openapi-backend');

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const unregistered = () => json(403, { title: 'Forbidden' });
const subOf = (event: APIGatewayProxyEvent) => String(event.requestContext.authorizer?.claims?.sub);

type OperationHandler = (context: Context, event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const handlers: Record<string, OperationHandler> = {
  getTask: async (context, event) => {
    const found = await getTask(pool, subOf(event), String(context.request.params.taskId));
    if (found.unregistered) return unregistered();
    if (!found.value) return json(404, { title: 'Not Found' });
    return json(200, found.value.task, { ETag: `"${found.value.version}"` });
  },
  listTasks: async (context, event) => {
    const query = context.request.query as { status?: string; limit?: string; cursor?: string };
    const page = await listTasks(pool, subOf(event), {
      status: query.status,
      limit: Number(query.limit ?? 20),
      after: decodeCursor(query.cursor),
    });
    return page.unregistered ? unregistered() : json(200, page.value);
  },
  createTask: async (context, event) => {
    const created = await createTask(pool, subOf(event), context.request.requestBody as NewTask);
    if (created.unregistered) return unregistered();
    const { task, version } = created.value;
    return json(201, task, { ETag: `"${version}"`, Location: `/tasks/${task.id}` });
  },
  validationFail: async (context) => json(400, { title: 'Bad Request', errors: context.validation.errors }),
  notFound: async () => json(404, { title: 'Not Found' }),
  notImplemented: async () => json(501, { title: 'Not Implemented' }),
  unauthorizedHandler: async () => json(401, { title: 'Unauthorized' }),
};

const api = new OpenAPIBackend({
  definition: definition as unknown as Document,
  handlers,
  customizeAjv: (ajv) => {
    addFormats(ajv, ['uuid', 'date', 'date-time', 'email']);
    return ajv;
  },
});
// The gateway's authorizer verified the ID token; its claims are in the event.
api.registerSecurityHandler('CognitoIdToken', (_context, event: APIGatewayProxyEvent) =>
  Boolean(event.requestContext.authorizer?.claims?.sub),
);
api.init();

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  api.handleRequest(
    {
      method: event.httpMethod,
      path: event.path,
      query: (event.queryStringParameters ?? {}) as Record<string, string>,
      body: event.body,
      headers: event.headers as Record<string, string>,
    },
    event,
  );

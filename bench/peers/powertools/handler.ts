/**
 * Peer: Powertools for AWS Lambda's HTTP event handler (`@aws-lambda-powertools/event-handler/http`)
 * as its documentation builds a REST API function — one `Router`, a route per operation with its
 * `validation` option (request path, query and body), typed errors for 403 and 404, `app.resolve`
 * as the handler. Powertools validates through Standard Schema; the schemas are the spec's,
 * compiled at build time (bench/peers/request-validators.ts) and exposed as Standard Schemas.
 * The statements are the floor's.
 */
import { ForbiddenError, NotFoundError, Router } from '@aws-lambda-powertools/event-handler/http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ValidateFunction } from 'ajv';
import type { Context } from 'aws-lambda';
import { createPool, createTask, decodeCursor, getTask, listTasks, type NewTask } from '../../floor/statements.ts';
import type { RequestValidators } from '../request-validators.ts';

const pool = createPool('taskboard-bench-powertools');

/** A compiled Ajv validator as a Standard Schema (what Powertools' validation takes). */
function standardSchema<T>(validate: ValidateFunction): StandardSchemaV1<unknown, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'ajv',
      validate: (value) =>
        validate(value)
          ? { value: value as T }
          : {
              issues: (validate.errors ?? []).map((error) => ({
                message: error.message ?? 'is invalid',
                path: error.instancePath.split('/').filter(Boolean),
              })),
            },
    },
  };
}

const subOf = (event: unknown) =>
  String(
    (event as { requestContext?: { authorizer?: { claims?: { sub?: string } } } }).requestContext?.authorizer?.claims
      ?.sub,
  );

const forbidden = () => new ForbiddenError('Register first');

/** The function's handler, given the build step's validators. */
export function createHandler(validators: RequestValidators<'Path' | 'Query' | 'Body'>) {
  const app = new Router();

  app.get(
    '/tasks/:taskId',
    async ({ event, valid }) => {
      const found = await getTask(pool, subOf(event), valid.req.path.taskId);
      if (found.unregistered) throw forbidden();
      if (!found.value) throw new NotFoundError('No task with this id');
      return { statusCode: 200, headers: { ETag: `"${found.value.version}"` }, body: found.value.task };
    },
    { validation: { req: { path: standardSchema<{ taskId: string }>(validators.getTaskPath) } } },
  );

  app.get(
    '/tasks',
    async ({ event, valid }) => {
      const query = valid.req.query;
      const page = await listTasks(pool, subOf(event), {
        status: query.status,
        limit: query.limit ?? 20,
        after: decodeCursor(query.cursor),
      });
      if (page.unregistered) throw forbidden();
      return page.value;
    },
    {
      validation: {
        req: {
          query: standardSchema<{ status?: string; limit?: number; cursor?: string }>(validators.listTasksQuery),
        },
      },
    },
  );

  app.post(
    '/tasks',
    async ({ event, valid }) => {
      const created = await createTask(pool, subOf(event), valid.req.body);
      if (created.unregistered) throw forbidden();
      const { task, version } = created.value;
      return { statusCode: 201, headers: { ETag: `"${version}"`, Location: `/tasks/${task.id}` }, body: task };
    },
    { validation: { req: { body: standardSchema<NewTask>(validators.createTaskBody) } } },
  );

  return (event: unknown, context: Context) => app.resolve(event, context);
}

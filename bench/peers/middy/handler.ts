/**
 * Peer: middy 6 as its documentation builds an API Gateway REST function — `@middy/http-router`
 * over one middy handler per route, `@middy/http-json-body-parser` on the route with a body,
 * `@middy/validator` with the event schemas transpiled at build time (bench/peers/request-validators.ts)
 * and `@middy/http-error-handler` around the router. The statements are the floor's.
 */
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler from '@middy/http-router';
import validator from '@middy/validator';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createPool, createTask, decodeCursor, getTask, listTasks, type NewTask } from '../../floor/statements.ts';
import type { RequestValidators } from '../request-validators.ts';

const pool = createPool('taskboard-bench-middy');

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const unregistered = () => json(403, { title: 'Forbidden' });
const subOf = (event: APIGatewayProxyEvent) => String(event.requestContext.authorizer?.claims?.sub);

/** The function's handler, given the build step's validators. */
export function createHandler(validators: RequestValidators<'Event'>) {
  const getTaskRoute = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(validator({ eventSchema: validators.getTaskEvent }))
    .handler(async (event) => {
      const found = await getTask(pool, subOf(event), String(event.pathParameters?.taskId));
      if (found.unregistered) return unregistered();
      if (!found.value) return json(404, { title: 'Not Found' });
      return json(200, found.value.task, { ETag: `"${found.value.version}"` });
    });

  const listTasksRoute = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(validator({ eventSchema: validators.listTasksEvent }))
    .handler(async (event) => {
      const query = (event.queryStringParameters ?? {}) as { status?: string; limit?: number; cursor?: string };
      const page = await listTasks(pool, subOf(event), {
        status: query.status,
        limit: query.limit ?? 20,
        after: decodeCursor(query.cursor),
      });
      return page.unregistered ? unregistered() : json(200, page.value);
    });

  const createTaskRoute = middy<APIGatewayProxyEvent & { body: NewTask }, APIGatewayProxyResult>()
    .use(httpJsonBodyParser())
    .use(validator({ eventSchema: validators.createTaskEvent }))
    .handler(async (event) => {
      const created = await createTask(pool, subOf(event), event.body);
      if (created.unregistered) return unregistered();
      const { task, version } = created.value;
      return json(201, task, { ETag: `"${version}"`, Location: `/tasks/${task.id}` });
    });

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrorHandler())
    .handler(
      httpRouterHandler([
        { method: 'GET', path: '/tasks/{taskId}', handler: getTaskRoute },
        { method: 'GET', path: '/tasks', handler: listTasksRoute },
        { method: 'POST', path: '/tasks', handler: createTaskRoute as never },
      ]),
    );
}

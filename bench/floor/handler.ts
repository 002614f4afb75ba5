/**
 * The bench's floor: a bare Lambda handler that runs, per request, the one hand-written statement
 * of bench/floor/statements.ts — no router (a switch on the resource template), no validation, no
 * logger, no problem+json. Whatever the API costs beyond this is what its framework costs.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createPool, createTask, decodeCursor, getTask, listTasks, type NewTask } from './statements.ts';

const pool = createPool('taskboard-bench-floor');

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const unregistered = () => json(403, { title: 'Forbidden' });

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const sub = String(event.requestContext.authorizer?.claims?.sub);
  switch (`${event.httpMethod} ${event.resource}`) {
    case 'GET /tasks/{taskId}': {
      const found = await getTask(pool, sub, String(event.pathParameters?.taskId));
      if (found.unregistered) return unregistered();
      if (!found.value) return json(404, { title: 'Not Found' });
      return json(200, found.value.task, { ETag: `"${found.value.version}"` });
    }
    case 'GET /tasks': {
      const query = event.queryStringParameters ?? {};
      const page = await listTasks(pool, sub, {
        status: query.status,
        limit: Number(query.limit ?? 20),
        after: decodeCursor(query.cursor),
      });
      return page.unregistered ? unregistered() : json(200, page.value);
    }
    case 'POST /tasks': {
      const created = await createTask(pool, sub, JSON.parse(event.body ?? '{}') as NewTask);
      if (created.unregistered) return unregistered();
      const { task, version } = created.value;
      return json(201, task, { ETag: `"${version}"`, Location: `/tasks/${task.id}` });
    }
    default:
      return json(404, { title: 'Not Found' });
  }
}

/**
 * The client's compile fixture and run flow: one call of every operation of the spec through
 * client/index.ts. The result is typed `{ [Op in OperationId]: … }`, so an operation added to the
 * spec fails `tsc` here until it is called too (test/unit/client-compile.test.ts proves that).
 */
import { randomUUID } from 'node:crypto';
import { documentedHeaders, type OperationId, type TaskboardClient } from '../../client/index.ts';

export interface Called {
  status: number;
  /** The documented response headers, read through the client's typed accessor. */
  headers: Record<string, string | undefined>;
  body: unknown;
}

const called = <Op extends OperationId>(
  operationId: Op,
  result: { response: Response; data?: unknown; error?: unknown },
): Called => ({
  status: result.response.status,
  headers: documentedHeaders(operationId, result.response),
  body: result.data ?? result.error,
});

/** Calls every operation once, in an order that makes each succeed: `user` registers and cleans up after itself. */
export async function callEveryOperation(
  user: TaskboardClient,
  admin: TaskboardClient,
): Promise<{ [Op in OperationId]: Called }> {
  const getHealth = await user.GET('/health');
  const registerUser = await user.POST('/users', { params: { header: { 'Idempotency-Key': randomUUID() } } });
  const userId = registerUser.data?.id ?? '';
  const getCurrentUser = await user.GET('/users/me');
  const getUser = await user.GET('/users/{userId}', { params: { path: { userId } } });
  const userTag: string = documentedHeaders('getUser', getUser.response).ETag ?? '';
  const updateUser = await user.PUT('/users/{userId}', {
    params: { path: { userId }, header: { 'If-Match': userTag } },
    body: { name: 'Client Fixture' },
  });
  await admin.POST('/users');
  const listUsers = await admin.GET('/users', { params: { query: { limit: 5 } } });
  // Only `title` is required: `description` has a default, so a request may leave it out.
  const createTask = await user.POST('/tasks', {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: { title: 'Typed client', priority: 'high' },
  });
  const created = documentedHeaders('createTask', createTask.response);
  const taskId = createTask.data?.id ?? '';
  const listTasks = await user.GET('/tasks', { params: { query: { status: 'todo' } } });
  const getTask = await user.GET('/tasks/{taskId}', { params: { path: { taskId } } });
  const updateTask = await user.PATCH('/tasks/{taskId}', {
    params: { path: { taskId }, header: { 'If-Match': created.ETag ?? '' } },
    body: { status: 'done' },
  });
  const deleteTask = await user.DELETE('/tasks/{taskId}', { params: { path: { taskId } } });
  const deleteUser = await user.DELETE('/users/{userId}', { params: { path: { userId } } });
  return {
    getHealth: called('getHealth', getHealth),
    registerUser: called('registerUser', registerUser),
    getCurrentUser: called('getCurrentUser', getCurrentUser),
    getUser: called('getUser', getUser),
    updateUser: called('updateUser', updateUser),
    listUsers: called('listUsers', listUsers),
    createTask: called('createTask', createTask),
    listTasks: called('listTasks', listTasks),
    getTask: called('getTask', getTask),
    updateTask: called('updateTask', updateTask),
    deleteTask: called('deleteTask', deleteTask),
    deleteUser: called('deleteUser', deleteUser),
  };
}

import type { OperationHandler } from '#runtime/context.ts';
import { etag } from '#runtime/http.ts';
import { withIdempotency } from '#runtime/idempotency.ts';
import { taskAccess } from './task-access.ts';
import { insertTask } from './task-repository.ts';

/** createTask: a new task owned by the caller; a retry with the same Idempotency-Key returns the first response. */
export const createTask: OperationHandler<'createTask'> = async ({ headers, body }, context) => {
  const access = await taskAccess(context);
  return withIdempotency(
    context.db,
    { scope: access.callerId, operationId: 'createTask', key: headers['Idempotency-Key'], request: body },
    async (tx) => {
      const created = await insertTask(tx, access.callerId, body);
      return {
        status: 201 as const,
        body: created.task,
        headers: { ETag: etag(created.version), Location: `/tasks/${created.task.id}` },
      };
    },
  );
};

import type { OperationHandler } from '#runtime/context.ts';
import { registerFirst, UnauthorizedError, UnprocessableEntityError } from '#runtime/errors.ts';
import { etag } from '#runtime/http.ts';
import { keyedRequest } from '#runtime/idempotency.ts';
import { insertTask, insertTaskOnce, type StoredTask } from './task-repository.ts';

const created = ({ task, version }: StoredTask) => ({
  status: 201 as const,
  body: task,
  headers: { ETag: etag(version), Location: `/tasks/${task.id}` },
});

/** createTask: a new task owned by the caller; a retry with the same Idempotency-Key returns the first response. */
export const createTask: OperationHandler<'createTask'> = async ({ headers, body }, { db, principal, metrics }) => {
  if (!principal) throw new UnauthorizedError();
  const keyed = keyedRequest(principal.sub, 'createTask', headers['Idempotency-Key'], body);
  const outcome = keyed
    ? await insertTaskOnce(db, principal.sub, body, keyed)
    : await insertTask(db, principal.sub, body);
  if (outcome === 'unregistered') throw registerFirst();
  if (outcome === 'keyReused') {
    throw new UnprocessableEntityError('This Idempotency-Key was already used with a different request.');
  }
  if (!('created' in outcome)) return created(outcome);
  if (outcome.replayed) metrics.count('IdempotentReplays');
  return created(outcome.created);
};

import { type FormEvent, useState } from 'react';
import { ApiError, type TaskPriority } from '../api/api.ts';
import { useSubmissionKey } from '../api/tagged.ts';
import { ErrorNote, useRetryWait } from '../components/states.tsx';
import { useTaskWrites } from './hooks.ts';
import { TaskFields } from './task-fields.tsx';

const blank = { title: '', description: '', priority: 'medium' as TaskPriority, dueDate: '' };

/** Creates a task. One Idempotency-Key per submission: a double click or a retry creates one task. */
export function NewTaskForm() {
  const { create } = useTaskWrites();
  const submission = useSubmissionKey();
  const [draft, setDraft] = useState(blank);
  const [created, setCreated] = useState<string | null>(null);
  const wait = useRetryWait(create.error);
  const fields = create.error instanceof ApiError ? create.error.fieldErrors : {};

  const change = (patch: Partial<typeof blank>) => {
    submission.renew();
    setCreated(null);
    setDraft((current) => ({ ...current, ...patch }));
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    const task = await create
      .mutateAsync({
        params: { header: { 'Idempotency-Key': submission.current } },
        body: {
          title: draft.title,
          description: draft.description,
          priority: draft.priority,
          dueDate: draft.dueDate || null,
        },
      })
      .catch(() => undefined);
    if (!task) return;
    submission.renew();
    setDraft(blank);
    setCreated(task.title);
  };

  return (
    <form className="card new-task" onSubmit={submit} noValidate aria-labelledby="new-task-title">
      <h2 id="new-task-title">New task</h2>
      <TaskFields draft={draft} change={change} errors={fields} mode="create" />
      {create.error && !(create.error instanceof ApiError && Object.keys(fields).length > 0) && (
        <ErrorNote error={create.error} />
      )}
      <p className="actions">
        <button type="submit" disabled={create.isPending || wait > 0} aria-disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add task'}
        </button>
        <span role="status" aria-live="polite">
          {created ? `Added “${created}”.` : ''}
        </span>
      </p>
    </form>
  );
}

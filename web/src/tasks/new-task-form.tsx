import { type FormEvent, useState } from 'react';
import { ApiError, type TaskPriority } from '../api/api.ts';
import { useSubmissionKey } from '../api/tagged.ts';
import { ErrorNote, Field, priorityLabels, useRetryWait } from '../components/states.tsx';
import { useTaskWrites } from './hooks.ts';

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
      <Field label="Title" name="title" error={fields.title}>
        {(props) => (
          <input
            {...props}
            required
            maxLength={200}
            value={draft.title}
            onChange={(e) => change({ title: e.target.value })}
          />
        )}
      </Field>
      <Field label="Description (optional)" name="description" error={fields.description}>
        {(props) => (
          <textarea
            {...props}
            rows={2}
            value={draft.description}
            onChange={(e) => change({ description: e.target.value })}
          />
        )}
      </Field>
      <div className="row">
        <Field label="Priority" name="priority" error={fields.priority}>
          {(props) => (
            <select
              {...props}
              value={draft.priority}
              onChange={(e) => change({ priority: e.target.value as TaskPriority })}
            >
              {Object.entries(priorityLabels).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Due date (optional)" name="dueDate" error={fields.dueDate}>
          {(props) => (
            <input {...props} type="date" value={draft.dueDate} onChange={(e) => change({ dueDate: e.target.value })} />
          )}
        </Field>
      </div>
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

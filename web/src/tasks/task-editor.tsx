import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, type Task, type TaskPriority, type TaskStatus } from '../api/api.ts';
import type { Tagged } from '../api/tagged.ts';
import { useTask } from '../api/tagged.ts';
import { ErrorNote, Loading, priorityLabels, statusLabels, useRetryWait } from '../components/states.tsx';
import { Link, navigate } from '../router.tsx';
import { useTaskWrites } from './hooks.ts';
import { TaskFields } from './task-fields.tsx';

type Draft = Pick<Task, 'title' | 'description' | 'status' | 'priority'> & { dueDate: string };
const draftOf = (task: Task): Draft => ({
  title: task.title,
  description: task.description,
  status: task.status,
  priority: task.priority,
  dueDate: task.dueDate ?? '',
});
const fieldNames = ['title', 'description', 'status', 'priority', 'dueDate'] as const;

/** The fields of `draft` that differ from `task`, as an updateTask body. */
function changes(draft: Draft, task: Task) {
  const saved = draftOf(task);
  const body: Partial<Omit<Task, 'dueDate'>> & { dueDate?: string | null } = {};
  for (const name of fieldNames) {
    if (draft[name] === saved[name]) continue;
    if (name === 'dueDate') body.dueDate = draft.dueDate || null;
    else Object.assign(body, { [name]: draft[name] });
  }
  return body;
}

/** The task editor screen: loads the task with its ETag, then edits it. */
export function TaskScreen({ taskId }: { taskId: string }) {
  const task = useTask(taskId);
  return (
    <>
      <p>
        <Link to="">← My tasks</Link>
      </p>
      <h1 tabIndex={-1}>Edit task</h1>
      {task.isPending ? (
        <Loading>Loading the task…</Loading>
      ) : task.isError ? (
        <ErrorNote error={task.error} retry={() => void task.refetch()} />
      ) : (
        <TaskEditor initial={task.data} />
      )}
    </>
  );
}

/**
 * Edits from the version it was opened with: every save sends that ETag as If-Match. A 412 opens the
 * conflict view, theirs beside mine, with "Load theirs" and "Overwrite with mine".
 */
function TaskEditor({ initial }: { initial: Tagged<Task> }) {
  const { update, readCurrent } = useTaskWrites();
  const [base, setBase] = useState(initial);
  const [draft, setDraft] = useState(() => draftOf(initial.data));
  const [theirs, setTheirs] = useState<Tagged<Task> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const wait = useRetryWait(error);
  const fields = error instanceof ApiError ? error.fieldErrors : {};

  const save = async (mine: Draft, from: Tagged<Task>) => {
    setError(null);
    const body = changes(mine, from.data);
    if (Object.keys(body).length === 0) return navigate('');
    try {
      await update.mutateAsync({
        params: { path: { taskId: from.data.id }, header: { 'If-Match': from.etag } },
        body,
      });
      navigate('');
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 412) {
        try {
          setTheirs(await readCurrent(from.data.id));
        } catch (reading) {
          setError(reading);
        }
      } else setError(caught);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!update.isPending) void save(draft, base);
  };
  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));

  if (theirs) {
    return (
      <ConflictView
        theirs={theirs.data}
        mine={draft}
        busy={update.isPending}
        loadTheirs={() => {
          setBase(theirs);
          setDraft(draftOf(theirs.data));
          setTheirs(null);
        }}
        overwrite={() => {
          setBase(theirs);
          setTheirs(null);
          void save(draft, theirs);
        }}
      />
    );
  }
  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Edit task">
      <TaskFields draft={draft} change={set} errors={fields} mode="edit" />
      {error !== null && Object.keys(fields).length === 0 && <ErrorNote error={error} />}
      <p className="actions">
        <button type="submit" disabled={update.isPending || wait > 0}>
          {update.isPending ? 'Saving…' : 'Save'}
        </button>
        <Link to="" className="button secondary">
          Cancel
        </Link>
      </p>
    </form>
  );
}

function ConflictView({
  theirs,
  mine,
  busy,
  loadTheirs,
  overwrite,
}: {
  theirs: Task;
  mine: Draft;
  busy: boolean;
  loadTheirs: () => void;
  overwrite: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const saved = draftOf(theirs);
  const labels = {
    title: 'Title',
    description: 'Description',
    status: 'Status',
    priority: 'Priority',
    dueDate: 'Due date',
  };
  const shown = (name: (typeof fieldNames)[number], value: string) =>
    name === 'status'
      ? statusLabels[value as TaskStatus]
      : name === 'priority'
        ? priorityLabels[value as TaskPriority]
        : value || '—';
  return (
    <section className="card conflict" aria-labelledby="conflict-title">
      <h2 id="conflict-title" ref={heading} tabIndex={-1}>
        Someone else changed this task
      </h2>
      <p>It was saved by another session after you opened it. Keep their version, or overwrite it with yours.</p>
      <table>
        <caption className="visually-hidden">Their version beside mine</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Theirs (saved)</th>
            <th scope="col">Mine (not saved)</th>
          </tr>
        </thead>
        <tbody>
          {fieldNames.map((name) => {
            const differs = saved[name] !== mine[name];
            return (
              <tr key={name} className={differs ? 'differs' : undefined}>
                <th scope="row">
                  {labels[name]}
                  {differs && <span className="badge changed">differs</span>}
                </th>
                <td data-testid={`theirs-${name}`}>{shown(name, saved[name])}</td>
                <td data-testid={`mine-${name}`}>{shown(name, mine[name])}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="actions">
        <button type="button" className="secondary" onClick={loadTheirs} disabled={busy}>
          Load theirs
        </button>
        <button type="button" onClick={overwrite} disabled={busy}>
          Overwrite with mine
        </button>
      </p>
    </section>
  );
}

import { useState } from 'react';
import type { Task, TaskStatus } from '../api/api.ts';
import { Empty, ErrorNote, Loading, priorityLabels, statusLabels } from '../components/states.tsx';
import { Link } from '../router.tsx';
import { useTaskList, useTaskWrites } from './hooks.ts';

/** A page of tasks with a status filter and "load more"; the caller's own, or a user's for an administrator. */
export function TaskList({ ownerId }: { ownerId?: string }) {
  const [status, setStatus] = useState<TaskStatus | ''>('');
  const list = useTaskList({ status: status || undefined, ownerId });
  const tasks = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section aria-labelledby="task-list-title">
      <div className="list-head">
        <h2 id="task-list-title">Tasks</h2>
        <div className="field inline">
          <label htmlFor="status-filter">Show</label>
          <select id="status-filter" value={status} onChange={(e) => setStatus(e.target.value as TaskStatus | '')}>
            <option value="">All</option>
            {Object.entries(statusLabels).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.isPending ? (
        <Loading>Loading tasks…</Loading>
      ) : list.isError ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : tasks.length === 0 ? (
        <Empty>{status ? `No tasks are “${statusLabels[status]}”.` : 'No tasks yet.'}</Empty>
      ) : (
        <ul className="tasks" aria-busy={list.isFetching}>
          {tasks.map((task) => (
            <TaskItem key={task.id} task={task} />
          ))}
        </ul>
      )}
      {list.failureReason && list.isFetching && !list.isError && <ErrorNote error={list.failureReason} retrying />}
      {list.hasNextPage && (
        <p>
          <button
            type="button"
            className="secondary"
            onClick={() => void list.fetchNextPage()}
            disabled={list.isFetchingNextPage}
          >
            {list.isFetchingNextPage ? 'Loading more…' : 'Load more'}
          </button>
        </p>
      )}
    </section>
  );
}

function TaskItem({ task }: { task: Task }) {
  const { update, remove, readCurrent } = useTaskWrites();
  const [error, setError] = useState<unknown>(null);
  const busy = update.isPending || remove.isPending;

  /** Completes or deletes the task as it is now: If-Match with the ETag just read. */
  const act = async (action: 'complete' | 'delete') => {
    setError(null);
    try {
      const { etag } = await readCurrent(task.id);
      const params = { path: { taskId: task.id }, header: { 'If-Match': etag } };
      if (action === 'complete') await update.mutateAsync({ params, body: { status: 'done' } });
      else await remove.mutateAsync({ params });
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <li className={`task status-${task.status}`}>
      <div className="task-main">
        <Link to={`tasks/${task.id}`} className="task-title">
          {task.title}
        </Link>
        <span className="meta">
          <span className={`badge ${task.status}`}>{statusLabels[task.status]}</span>
          <span>Priority: {priorityLabels[task.priority]}</span>
          {task.dueDate && <span>Due {task.dueDate}</span>}
        </span>
        {task.description && <p className="description">{task.description}</p>}
      </div>
      <div className="actions">
        {task.status !== 'done' && (
          <button type="button" onClick={() => void act('complete')} disabled={busy}>
            Complete<span className="visually-hidden"> {task.title}</span>
          </button>
        )}
        <button type="button" className="secondary" onClick={() => void act('delete')} disabled={busy}>
          Delete<span className="visually-hidden"> {task.title}</span>
        </button>
      </div>
      {error !== null && <ErrorNote error={error} />}
    </li>
  );
}

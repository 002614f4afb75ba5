import type { TaskPriority, TaskStatus } from '../api/api.ts';
import { Field, priorityLabels, statusLabels } from '../components/states.tsx';

/** A task as its form holds it: the due date as the date input's text ('' for none). */
export interface TaskDraft {
  title: string;
  description: string;
  priority: TaskPriority;
  dueDate: string;
  /** Only an existing task has a status to edit; a new one starts as the API's default. */
  status?: TaskStatus;
}

interface TaskFieldsProps<D extends TaskDraft> {
  draft: D;
  change: (patch: Partial<D>) => void;
  /** The problem's `errors[]` by field name. */
  errors: Partial<Record<string, string>>;
  /** A new task names its optional fields so; an edited one shows every field, status included. */
  mode: 'create' | 'edit';
}

function Options({ labels }: { labels: Record<string, string> }) {
  return Object.entries(labels).map(([value, label]) => (
    <option key={value} value={value}>
      {label}
    </option>
  ));
}

/** The fields of a task, shared by the new-task form and the editor. */
export function TaskFields<D extends TaskDraft>({ draft, change, errors, mode }: TaskFieldsProps<D>) {
  const optional = mode === 'create' ? ' (optional)' : '';
  const patch = (value: Partial<TaskDraft>) => change(value as Partial<D>);
  return (
    <>
      <Field label="Title" name="title" error={errors.title}>
        {(props) => (
          <input
            {...props}
            required
            maxLength={200}
            value={draft.title}
            onChange={(e) => patch({ title: e.target.value })}
          />
        )}
      </Field>
      <Field label={`Description${optional}`} name="description" error={errors.description}>
        {(props) => (
          <textarea
            {...props}
            rows={mode === 'create' ? 2 : 4}
            value={draft.description}
            onChange={(e) => patch({ description: e.target.value })}
          />
        )}
      </Field>
      <div className="row">
        {mode === 'edit' && (
          <Field label="Status" name="status" error={errors.status}>
            {(props) => (
              <select {...props} value={draft.status} onChange={(e) => patch({ status: e.target.value as TaskStatus })}>
                <Options labels={statusLabels} />
              </select>
            )}
          </Field>
        )}
        <Field label="Priority" name="priority" error={errors.priority}>
          {(props) => (
            <select
              {...props}
              value={draft.priority}
              onChange={(e) => patch({ priority: e.target.value as TaskPriority })}
            >
              <Options labels={priorityLabels} />
            </select>
          )}
        </Field>
        <Field label={`Due date${optional}`} name="dueDate" error={errors.dueDate}>
          {(props) => (
            <input {...props} type="date" value={draft.dueDate} onChange={(e) => patch({ dueDate: e.target.value })} />
          )}
        </Field>
      </div>
    </>
  );
}

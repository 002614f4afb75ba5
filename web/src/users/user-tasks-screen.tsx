import { useUser } from '../api/tagged.ts';
import { ErrorNote } from '../components/states.tsx';
import { Link } from '../router.tsx';
import { TaskList } from '../tasks/task-list.tsx';

/** Administrators: one user's tasks (listTasks with ownerId). */
export function UserTasksScreen({ userId }: { userId: string }) {
  const user = useUser(userId);
  const who = user.data ? user.data.data.name || user.data.data.email : 'a user';
  return (
    <>
      <p>
        <Link to="users">← Users</Link>
      </p>
      <h1 tabIndex={-1}>Tasks of {who}</h1>
      {user.isError ? (
        <ErrorNote error={user.error} retry={() => void user.refetch()} />
      ) : (
        <TaskList ownerId={userId} />
      )}
    </>
  );
}

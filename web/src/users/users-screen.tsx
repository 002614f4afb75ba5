import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, type Role, type User } from '../api/api.ts';
import { useApi } from '../api/context.tsx';
import { meKey, userKey, userQuery } from '../api/tagged.ts';
import { describeError, Empty, ErrorNote, Loading } from '../components/states.tsx';
import { Link } from '../router.tsx';

const pageSize = 20;

/** Administrators: every user, paged; change a role; open a user's tasks. */
export function UsersScreen() {
  const { $api } = useApi();
  const users = $api.useInfiniteQuery(
    'get',
    '/users',
    { params: { query: { limit: pageSize } } },
    { pageParamName: 'cursor', initialPageParam: null, getNextPageParam: (page) => page.nextCursor ?? undefined },
  );
  const items = users.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Users</h1>
      {users.isPending ? (
        <Loading>Loading users…</Loading>
      ) : users.isError ? (
        <ErrorNote error={users.error} retry={() => void users.refetch()} />
      ) : items.length === 0 ? (
        <Empty>No users yet.</Empty>
      ) : (
        <ul className="users" aria-busy={users.isFetching}>
          {items.map((user) => (
            <UserRow key={user.id} user={user} />
          ))}
        </ul>
      )}
      {users.hasNextPage && (
        <p>
          <button
            type="button"
            className="secondary"
            onClick={() => void users.fetchNextPage()}
            disabled={users.isFetchingNextPage}
          >
            {users.isFetchingNextPage ? 'Loading more…' : 'Load more'}
          </button>
        </p>
      )}
    </>
  );
}

function UserRow({ user }: { user: User }) {
  const { $api, client } = useApi();
  const queryClient = useQueryClient();
  const [role, setRole] = useState<Role>(user.role);
  const update = $api.useMutation('put', '/users/{userId}');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const selectId = `role-${user.id}`;

  /** updateUser keeps name and phone number as they are now (read with the ETag sent as If-Match). */
  const changeRole = async () => {
    setError(null);
    setDone('');
    try {
      const current = await queryClient.fetchQuery({ ...userQuery(client, user.id), staleTime: 0 });
      const { name, phoneNumber } = current.data;
      await update.mutateAsync({
        params: { path: { userId: user.id }, header: { 'If-Match': current.etag } },
        body: { name, phoneNumber, role },
      });
      setDone(`${user.email} is now ${role === 'admin' ? 'an administrator' : 'a user'}.`);
      void queryClient.invalidateQueries({ queryKey: ['get', '/users'] });
      queryClient.removeQueries({ queryKey: userKey(user.id) });
      void queryClient.invalidateQueries({ queryKey: meKey });
    } catch (caught) {
      setError(caught);
      setRole(user.role);
    }
  };
  const lastAdmin = error instanceof ApiError && error.status === 409;
  return (
    <li className="user card">
      <div className="user-main">
        <strong>{user.name || user.email}</strong>
        <span className="meta">
          <span>{user.email}</span>
          <span className={`badge ${user.role}`}>{user.role === 'admin' ? 'Administrator' : 'User'}</span>
        </span>
      </div>
      <div className="actions">
        <label htmlFor={selectId} className="visually-hidden">
          Role of {user.email}
        </label>
        <select id={selectId} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="user">User</option>
          <option value="admin">Administrator</option>
        </select>
        <button type="button" onClick={() => void changeRole()} disabled={role === user.role || update.isPending}>
          Change role<span className="visually-hidden"> of {user.email}</span>
        </button>
        <Link to={`users/${user.id}/tasks`} className="button secondary">
          Tasks<span className="visually-hidden"> of {user.email}</span>
        </Link>
      </div>
      {lastAdmin ? (
        <p className="error" role="alert">
          Not changed: {describeError(error)}
        </p>
      ) : (
        error !== null && <ErrorNote error={error} />
      )}
      <span role="status" aria-live="polite" className="saved">
        {done}
      </span>
    </li>
  );
}

/** The task screens' data: listTasks paged by cursor, and the writes with their cache updates. */
import type { TaskStatus } from '../api/api.ts';
import { useApi } from '../api/context.tsx';
import { taskKey, taskQuery } from '../api/tagged.ts';

export const pageSize = 20;

/** listTasks, one page after another ("load more"); `initialPageParam: null` so the first asks with no cursor. */
export function useTaskList({ status, ownerId }: { status?: TaskStatus | undefined; ownerId?: string | undefined }) {
  const { $api } = useApi();
  return $api.useInfiniteQuery(
    'get',
    '/tasks',
    { params: { query: { limit: pageSize, ...(status ? { status } : {}), ...(ownerId ? { ownerId } : {}) } } },
    {
      pageParamName: 'cursor',
      initialPageParam: null,
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    },
  );
}

/** createTask, updateTask and deleteTask; each refreshes the lists and the task it touched. */
export function useTaskWrites() {
  const { $api, client, queryClient } = useApi();
  const refresh = (taskId?: string) => {
    void queryClient.invalidateQueries({ queryKey: ['get', '/tasks'] });
    if (taskId) queryClient.removeQueries({ queryKey: taskKey(taskId) });
  };
  return {
    create: $api.useMutation('post', '/tasks', { onSuccess: () => refresh() }),
    update: $api.useMutation('patch', '/tasks/{taskId}', {
      onSuccess: (_task, { params }) => refresh(params.path.taskId),
    }),
    remove: $api.useMutation('delete', '/tasks/{taskId}', {
      onSuccess: (_none, { params }) => refresh(params.path.taskId),
    }),
    /** The task as it is now, with the ETag to send as If-Match. */
    readCurrent: (taskId: string) => queryClient.fetchQuery({ ...taskQuery(client, taskId), staleTime: 0 }),
  };
}

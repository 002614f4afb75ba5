/**
 * Reads that need the resource's ETag (openapi-react-query's hooks return only the body): plain
 * TanStack queries over the typed client that keep `etag` beside `data`, for the `If-Match` of the
 * next write. Keys follow openapi-react-query's `[method, path, init]`, so invalidation reads alike.
 */
import { useQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import type { TaskboardClient } from '../../../client/index.ts';
import type { Task, User } from './api.ts';
import { useApi } from './context.tsx';

export interface Tagged<T> {
  data: T;
  /** The `ETag` the read answered with: send it as `If-Match`. */
  etag: string;
}

/** The body and ETag of a 2xx answer (a non-2xx one has already been thrown as ApiError). */
export function tagged<T>({ data, response }: { data?: T; response: Response }): Tagged<T> {
  if (data === undefined) throw new Error(`${response.url} answered ${response.status} without a body`);
  return { data, etag: response.headers.get('ETag') ?? '*' };
}

export const taskKey = (taskId: string) => ['get', '/tasks/{taskId}', { params: { path: { taskId } } }] as const;
export const userKey = (userId: string) => ['get', '/users/{userId}', { params: { path: { userId } } }] as const;
export const meKey = ['get', '/users/me'] as const;

/** getTask with its ETag, as query options (for useQuery, or fetchQuery before a write). */
export const taskQuery = (client: TaskboardClient, taskId: string) => ({
  queryKey: taskKey(taskId),
  queryFn: async (): Promise<Tagged<Task>> =>
    tagged(await client.GET('/tasks/{taskId}', { params: { path: { taskId } } })),
});

/** getUser with its ETag, as query options. */
export const userQuery = (client: TaskboardClient, userId: string) => ({
  queryKey: userKey(userId),
  queryFn: async (): Promise<Tagged<User>> =>
    tagged(await client.GET('/users/{userId}', { params: { path: { userId } } })),
});

/**
 * getTask with its ETag, read once: an open editor keeps the version it started from, so another
 * client's change shows up as a 412 and the conflict view, not as a silently replaced form.
 */
export function useTask(taskId: string) {
  const { client } = useApi();
  return useQuery({ ...taskQuery(client, taskId), staleTime: Number.POSITIVE_INFINITY, refetchOnWindowFocus: false });
}

/** getUser with its ETag. */
export function useUser(userId: string) {
  const { client } = useApi();
  return useQuery(userQuery(client, userId));
}

/**
 * One Idempotency-Key per submission: the same key for every retry of one submission (a double
 * click or a retry after a lost answer creates one resource), a new one once it succeeded or the
 * form changed.
 */
export function useSubmissionKey() {
  const key = useRef<string | null>(null);
  return {
    get current(): string {
      key.current ??= crypto.randomUUID();
      return key.current;
    },
    renew(): void {
      key.current = null;
    },
  };
}

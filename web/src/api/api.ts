/**
 * The one API layer. Every screen reaches the API through what this module builds:
 * - `client`: the typed openapi-fetch client from client/ (paths, parameters and bodies from the spec);
 * - `$api`: TanStack Query hooks generated from the same types by openapi-react-query, so a new
 *   operation in the spec is a typed `$api.useQuery`/`useMutation` with no hand edit;
 * - one middleware that turns every non-2xx answer into an `ApiError` (problem+json, field errors,
 *   Retry-After), sends a 401 back to sign-in, and refuses an update or delete without `If-Match`;
 * - the query client's retry policy: a 429 or 503 is retried after the `Retry-After` it names.
 * Idempotency-Keys are made per submission by `useSubmissionKey`; ETags are read by the tagged
 * queries in ./tagged.ts.
 */
import { QueryClient } from '@tanstack/react-query';
import createQueryHooks from 'openapi-react-query';
import type { components } from '../../../client/index.ts';
import { createTaskboardClient, type TaskboardClient } from '../../../client/index.ts';

export type Task = components['schemas']['Task'];
export type TaskStatus = components['schemas']['TaskStatus'];
export type TaskPriority = components['schemas']['TaskPriority'];
export type User = components['schemas']['User'];
export type Role = components['schemas']['Role'];
type Problem = components['schemas']['Problem'];

/** A non-2xx answer of the API (or of the gateway in front of it). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
    /** Seconds to wait before trying again (429, 503), from `Retry-After`. */
    readonly retryAfter: number | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `The API answered ${status}`);
    this.name = 'ApiError';
  }

  /** Validation messages by field name: `/body/title` → `title`. */
  get fieldErrors(): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const error of this.problem?.errors ?? []) {
      const field = error.path.replace(/^\/body\/?/, '').split('/')[0] || '_';
      fields[field] ??= error.message;
    }
    return fields;
  }

  /** True when trying again later may succeed. */
  get isTransient(): boolean {
    return this.status === 429 || this.status === 503;
  }
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export interface ApiOptions {
  apiUrl: string;
  /** The current ID token, read before every request. */
  token: () => Promise<string | undefined>;
  /** Called on a 401: the session is gone, sign in again and come back. */
  onUnauthorized: () => void;
}

const writes = new Set(['PUT', 'PATCH', 'DELETE']);

/** Builds the typed client, its hooks and the query client with the API's error and retry rules. */
export function createApi({ apiUrl, token, onUnauthorized }: ApiOptions) {
  const client: TaskboardClient = createTaskboardClient({ baseUrl: apiUrl, token });
  client.use({
    onRequest({ request }) {
      // Every update and delete is conditional: a lost update must end in the conflict view, never silently.
      if (writes.has(request.method) && !request.headers.has('If-Match')) {
        throw new Error(`${request.method} ${new URL(request.url).pathname} without If-Match`);
      }
      return request;
    },
    async onResponse({ response }) {
      if (response.ok) return response;
      if (response.status === 401) onUnauthorized();
      const type = response.headers.get('Content-Type') ?? '';
      const problem = type.includes('json')
        ? ((await response
            .clone()
            .json()
            .catch(() => undefined)) as Partial<Problem> | undefined)
        : undefined;
      throw new ApiError(response.status, problem, parseRetryAfter(response.headers.get('Retry-After')));
    },
  });
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (failures, error) => error instanceof ApiError && error.isTransient && failures < 3,
        retryDelay: (failures, error) =>
          error instanceof ApiError && error.retryAfter !== undefined
            ? error.retryAfter * 1000
            : Math.min(1000 * 2 ** failures, 8000),
      },
      mutations: { retry: false },
    },
  });
  return { client, $api: createQueryHooks(client), queryClient };
}

export type Api = ReturnType<typeof createApi>;

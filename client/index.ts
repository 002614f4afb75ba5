/**
 * The typed Taskboard client for browsers and Node: openapi-fetch over the types generated from the
 * spec (generated/api.ts), so paths, parameters, bodies and answers are checked by TypeScript.
 *
 * ```ts
 * const taskboard = createTaskboardClient({ baseUrl: 'http://localhost:3000', token: () => idToken });
 * const { data, response } = await taskboard.POST('/tasks', { body: { title: 'Try it' } });
 * const { ETag, Location } = documentedHeaders('createTask', response);
 * ```
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { operations as Operations, paths } from '../generated/api.ts';
import { type OperationId, operationResponses } from '../generated/operations.ts';

export type { components, operations, paths } from '../generated/api.ts';
export type { OperationId } from '../generated/operations.ts';

export interface TaskboardClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the API is: `http://localhost:3000`, the deployed CloudFront URL, or the mock server. */
  baseUrl: string;
  /** The Cognito ID token (or a function returning it, called before every request); none for getHealth. */
  token?: string | (() => string | undefined | Promise<string | undefined>);
}

export type TaskboardClient = Client<paths>;

/** An openapi-fetch client for the Taskboard API that sends `Authorization: Bearer <token>`. */
export function createTaskboardClient({ baseUrl, token, ...options }: TaskboardClientOptions): TaskboardClient {
  const client = createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, '') });
  client.use({
    async onRequest({ request }) {
      const value = typeof token === 'function' ? await token() : token;
      if (value && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${value}`);
      return request;
    },
  });
  return client;
}

type NamedKeys<H> = keyof { [K in keyof H as string extends K ? never : K]: H[K] } & string;
type HeadersOfResponse<R> = R extends { headers: infer H } ? NamedKeys<H> : never;

/** The names of the response headers an operation documents (for any of its statuses). */
export type DocumentedHeaderName<Op extends OperationId> = {
  [S in keyof Operations[Op]['responses']]: HeadersOfResponse<Operations[Op]['responses'][S]>;
}[keyof Operations[Op]['responses']];

/**
 * The documented response headers of `operationId` read from `response` (absent ones are undefined):
 * `ETag` and `Location` of a created task, `Retry-After` of a 429 or 503, `Allow` of a 405. A page
 * on another origin can read them because the API lists them in `Access-Control-Expose-Headers`.
 */
export function documentedHeaders<Op extends OperationId>(
  operationId: Op,
  response: Response,
): Partial<Record<DocumentedHeaderName<Op>, string>> {
  const names = operationResponses[operationId].responseHeaders as readonly string[];
  const headers: Partial<Record<string, string>> = {};
  for (const name of names) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers as Partial<Record<DocumentedHeaderName<Op>, string>>;
}

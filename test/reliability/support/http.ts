/**
 * A raw HTTP client for the reliability tests: keep-alive sockets, bytes sent exactly as given
 * (bad UTF-8, no or any Content-Type, bodies on any method, paths as already encoded), and the
 * answer in the shape the contract checker reads.
 */
import http from 'node:http';
import type { ObservedResponse } from '../../support/contract.ts';

export interface RawRequest {
  method: string;
  /** Path and query, already percent-encoded as they should go on the wire. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface RawResponse extends ObservedResponse {
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: Record<string, unknown> | undefined;
  /** Milliseconds from sending to the last byte of the answer. */
  latencyMs: number;
}

export interface HttpClient {
  send(request: RawRequest): Promise<RawResponse>;
  close(): void;
}

/** A client for `baseUrl` holding at most `maxSockets` keep-alive connections. */
export function createHttpClient(baseUrl: string, maxSockets = 8): HttpClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const origin = new URL(baseUrl);
  const send = (request: RawRequest) =>
    new Promise<RawResponse>((resolve, reject) => {
      const started = performance.now();
      const outgoing = http.request(
        {
          agent,
          host: origin.hostname,
          port: origin.port,
          method: request.method,
          path: request.path,
          // Node frames a GET or DELETE body only when told its length.
          headers:
            request.body === undefined
              ? request.headers
              : { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
            }
            let json: Record<string, unknown> | undefined;
            try {
              json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
            } catch {
              json = undefined;
            }
            resolve({
              status: response.statusCode ?? 0,
              headers,
              text,
              json,
              latencyMs: performance.now() - started,
            });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  return { send, close: () => agent.destroy() };
}

/** A JSON request: the body serialised, Content-Type set, a bearer token if given. */
export function jsonRequest(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): RawRequest {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body === undefined) return { method, path, headers };
  return {
    method,
    path,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(options.body),
  };
}

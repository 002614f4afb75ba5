/**
 * An HTTP server for the bench's HTTP run, in its own process (`node --import tsx`), so the load
 * generator never shares its event loop:
 * - `gateway`: the local API Gateway (scripts/local/gateway.ts: route table, token verification,
 *   full proxy event) in front of the production bundle of the API function;
 * - `bare`: the baseline — a minimal node:http wrapper that verifies the ID token with the same
 *   aws-jwt-verify verifier, builds a minimal proxy event (one regex for /tasks and
 *   /tasks/{taskId}) and calls the bare handler's bundle.
 * Usage: `node --import tsx http-target.ts <gateway|bare> <bundle.mjs> <key-file>`; prints
 * `{"url": …}` on file descriptor 3 once listening, stops on SIGTERM.
 */
import { writeSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { startLocalGateway } from '#local/gateway.ts';
import { createLocalVerifier, loadLocalKeySet } from '#local/identity.ts';
import { reportFd } from './protocol.ts';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
/** The baseline's handler (the type import also keeps bench/baseline under the type-checker). */
type BareHandler = typeof import('../../bench/baseline/bare-handler.ts').handler;

/** No throttling: the stage's token bucket (rate 1000/s) would turn load into 429s, and the baseline has none. */
const unthrottled = { rateLimit: 1e9, burstLimit: 1e9 };

async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : null;
}

const tasksPath = /^\/tasks(?:\/([^/]+))?\/?$/;

/** The baseline's wrapper: token check, minimal event, handler, response. */
async function startBareServer(
  handler: BareHandler,
  verifier: ReturnType<typeof createLocalVerifier>,
): Promise<string> {
  const server = createServer((request, response) => {
    const serve = async () => {
      const body = await readBody(request);
      const token = (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '').trim();
      let claims: Record<string, string>;
      try {
        const payload = (await verifier.verify(token)) as Record<string, unknown>;
        claims = Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, String(value)]));
      } catch {
        response.writeHead(401, { 'Content-Type': 'application/json' }).end('{"message":"Unauthorized"}');
        return;
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      const taskId = tasksPath.exec(url.pathname)?.[1];
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      const event = {
        resource: taskId ? '/tasks/{taskId}' : url.pathname,
        path: url.pathname,
        httpMethod: request.method ?? 'GET',
        headers,
        queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : null,
        pathParameters: taskId ? { taskId } : null,
        body,
        isBase64Encoded: false,
        requestContext: { authorizer: { claims } },
      } as unknown as APIGatewayProxyEvent;
      const result = await handler(event);
      response.writeHead(result.statusCode, result.headers as Record<string, string>).end(result.body);
    };
    serve().catch(() => {
      if (!response.headersSent) response.writeHead(502, { 'Content-Type': 'application/json' });
      response.end('{"message":"Internal server error"}');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  const [kind, bundle, keyFile] = process.argv.slice(2);
  if ((kind !== 'gateway' && kind !== 'bare') || !bundle || !keyFile) {
    throw new Error('usage: http-target.ts <gateway|bare> <bundle.mjs> <key-file>');
  }
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const verifier = createLocalVerifier(loadLocalKeySet(keyFile));
  const url =
    kind === 'gateway'
      ? (await startLocalGateway({ handler, verifier, port: 0, throttle: unthrottled })).url
      : await startBareServer(handler, verifier);
  writeSync(reportFd, `${JSON.stringify({ url })}\n`);
}

process.on('SIGTERM', () => process.exit(0));
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

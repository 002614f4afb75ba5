/**
 * Counts the SQL statements a client sends to PostgreSQL, by reading the wire: a loopback proxy in
 * front of the server that forwards every byte unchanged and records each simple Query and each
 * extended-protocol Execute, with the text Parse gave it and the values Bind gave it. Point a pool
 * at `url` instead of the server's; what is counted is what the pool sent (BEGIN and COMMIT
 * included), whatever the code above it did. A simple Query holding several statements counts once.
 * Plain-text connections only: a connection that negotiates TLS is forwarded but not counted.
 * Used by `npm run bench` (bench/harness/lambda-driver.ts) and available to tests.
 */
import net from 'node:net';

/** One statement as the server received it. */
export interface SentStatement {
  text: string;
  /** Bound parameter values as sent (text format); null for SQL NULL. */
  values: Array<string | null>;
}

export interface StatementCounter {
  /** DATABASE_URL's URL with the proxy's host and port. */
  url: string;
  /** What has been sent since the counter started or was last reset, in order. */
  readonly statements: readonly SentStatement[];
  /** Forgets what was recorded so far. */
  reset(): void;
  /** Stops listening and closes every proxied connection. */
  close(): Promise<void>;
}

const sslRequest = 80877103;
const gssEncRequest = 80877104;
const cancelRequest = 80877102;

/** Reads the frontend messages of one connection and reports the statements in them. */
function frontendReader(onStatement: (statement: SentStatement) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  let started = false;
  const parsed = new Map<string, string>();
  const bound = new Map<string, SentStatement>();
  const cString = (buffer: Buffer, offset: number): [string, number] => {
    const end = buffer.indexOf(0, offset);
    return [buffer.toString('utf8', offset, end), end + 1];
  };
  const handle = (type: string, body: Buffer) => {
    if (type === 'Q') onStatement({ text: cString(body, 0)[0], values: [] });
    else if (type === 'P') {
      const [name, next] = cString(body, 0);
      parsed.set(name, cString(body, next)[0]);
    } else if (type === 'B') {
      const [portal, afterPortal] = cString(body, 0);
      const [statement, afterStatement] = cString(body, afterPortal);
      let offset = afterStatement;
      const formatCodes = body.readInt16BE(offset);
      offset += 2 + 2 * formatCodes;
      const count = body.readInt16BE(offset);
      offset += 2;
      const values: Array<string | null> = [];
      for (let index = 0; index < count; index += 1) {
        const length = body.readInt32BE(offset);
        offset += 4;
        if (length < 0) values.push(null);
        else {
          values.push(body.toString('utf8', offset, offset + length));
          offset += length;
        }
      }
      bound.set(portal, { text: parsed.get(statement) ?? '', values });
    } else if (type === 'E') {
      const sent = bound.get(cString(body, 0)[0]);
      if (sent) onStatement(sent);
    }
  };
  let opaque = false;
  return (chunk) => {
    if (opaque) return;
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (!started) {
        // A TLS handshake (0x16) after an accepted SSLRequest: nothing readable follows.
        if (buffered[0] === 0x16) {
          opaque = true;
          return;
        }
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        const code = buffered.readInt32BE(4);
        if (code !== sslRequest && code !== gssEncRequest && code !== cancelRequest) started = true;
        buffered = buffered.subarray(length);
        continue;
      }
      if (buffered.length < 5) return;
      const length = buffered.readInt32BE(1);
      if (buffered.length < 1 + length) return;
      try {
        handle(String.fromCharCode(buffered[0] ?? 0), buffered.subarray(5, 1 + length));
      } catch {
        // Not the plain protocol (TLS after an accepted SSLRequest): forward, stop reading.
        opaque = true;
        return;
      }
      buffered = buffered.subarray(1 + length);
    }
  };
}

/** Starts a counting proxy in front of the server `databaseUrl` names (TCP host and port). */
export async function startStatementCounter(databaseUrl: string): Promise<StatementCounter> {
  const target = new URL(databaseUrl);
  const host = target.hostname || '127.0.0.1';
  const port = Number(target.port || 5432);
  let statements: SentStatement[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    const read = frontendReader((statement) => statements.push(statement));
    client.on('data', (chunk: Buffer) => {
      read(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    get statements() {
      return statements;
    },
    reset: () => {
      statements = [];
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

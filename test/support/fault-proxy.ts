/**
 * A fault-injecting TCP proxy between the pool and PostgreSQL, for what AWS does to connections:
 * - `silence()`: the connections open now go quiet in both directions, sockets left open — a
 *   half-open connection, as after a NAT or the server forgot it while the instance was frozen;
 * - `resetOnUse()`: the connections open now are reset (RST) the next time the client writes —
 *   what a peer that lost the connection's state answers;
 * - `resetNow()`: every open connection is reset at once (a failover, mid-request if one runs);
 * - `latency(ms)`: every chunk is delayed, for "mid-request" timing.
 * Connections opened after a fault pass normally.
 */
import { createServer, type Server, Socket } from 'node:net';

export interface FaultProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  silence(): void;
  resetOnUse(): void;
  resetNow(): void;
  latency(ms: number): void;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  server: Socket;
  fault: 'none' | 'silent' | 'resetOnUse';
}

/** Starts a proxy on a free loopback port forwarding to `target`. */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const links = new Set<Link>();
  let delayMs = 0;
  let accepted = 0;
  const forward = (link: Link, from: Socket, to: Socket, fromClient: boolean) => {
    from.on('data', (chunk) => {
      if (link.fault === 'silent') return;
      if (link.fault === 'resetOnUse' && fromClient) {
        link.client.resetAndDestroy();
        link.server.destroy();
        return;
      }
      if (delayMs > 0) setTimeout(() => to.writable && to.write(chunk), delayMs);
      else to.write(chunk);
    });
  };
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = new Socket();
    const link: Link = { client, server: upstream, fault: 'none' };
    links.add(link);
    upstream.connect(target.port, target.host);
    forward(link, client, upstream, true);
    forward(link, upstream, client, false);
    const end = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', () => {
        // A silenced link stays open on the client's side: nothing tells it the peer is gone.
        if (link.fault !== 'silent') end();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    get accepted() {
      return accepted;
    },
    silence: () => {
      for (const link of links) link.fault = 'silent';
    },
    resetOnUse: () => {
      for (const link of links) link.fault = 'resetOnUse';
    },
    resetNow: () => {
      for (const link of [...links]) {
        link.client.resetAndDestroy();
        link.server.destroy();
        links.delete(link);
      }
    },
    latency: (ms) => {
      delayMs = ms;
    },
    close: async () => {
      for (const link of links) {
        link.client.destroy();
        link.server.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

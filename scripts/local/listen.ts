/** Serving on the loopback interface: the local gateway and the mock server listen the same way. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening HTTP server, its URL, and a close that also ends kept-alive connections. */
export interface ListeningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0: a free one); rejects when the port is taken. */
export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// A real HTTP server on 127.0.0.1 (a free port) for the tests that scrape one: its closer (every
// connection, then the listener) goes into `closers`, which the test file runs after its tests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** Starts the server; resolves to its base URL (`http://127.0.0.1:PORT`). */
export async function serveHttp(handler: (req: IncomingMessage, res: ServerResponse) => void, closers: Array<() => void>): Promise<string> {
  const srv = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => {
    srv.closeAllConnections();
    srv.close();
  });
  const a = srv.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

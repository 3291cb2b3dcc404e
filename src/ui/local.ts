import type { Server } from 'node:http';
import { nodeHttp } from '../cluster/node-http.js';
import { sendJson } from './http.js';
import { hostAllowed, refuseHost, UiServer, type UiServerOptions } from './server.js';

/**
 * `ballast ui`: the UI on 127.0.0.1 only, as the kubeconfig's user. A page of another site can
 * reach 127.0.0.1 through a DNS name it controls (DNS rebinding), so a request whose Host is not
 * 127.0.0.1:<port> or localhost:<port> is refused before anything else.
 */
export async function startLocalUi(
  opts: UiServerOptions & { port: number },
): Promise<{ port: number; close: () => Promise<void> }> {
  const ui = new UiServer(opts);
  let port = opts.port;
  const server: Server = nodeHttp.createServer((req, res) => {
    if (!hostAllowed(req.headers.host, port)) {
      refuseHost(res);
      return;
    }
    if (!ui.handle(req, res)) sendJson(res, 405, { status: 405, message: 'not allowed' });
  });
  port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : opts.port);
    });
  });
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        ui.close();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

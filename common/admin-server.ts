// The admin HTTP server every weft process runs (proxy on 4191, controller roles on 9990): metrics, health,
// and a few operations. Endpoints that change state answer loopback callers only.
import * as http from 'node:http';
import type { Registry } from 'prom-client';
import type { HostPort } from './address';
import { listen } from './listen';

export interface AdminRoute {
  method: 'GET' | 'POST';
  /** State-changing routes refuse callers that are not on this machine's loopback. */
  loopbackOnly?: boolean;
  handle(req: http.IncomingMessage, res: http.ServerResponse): void | Promise<void>;
}

export interface AdminOptions {
  registry: Registry;
  /** Undefined when ready; otherwise why not, shown in the 503 body. */
  notReadyReason(): string | undefined;
  routes?: Record<string, AdminRoute>;
}

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

export function sendText(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createAdminServer(options: AdminOptions): http.Server {
  const routes: Record<string, AdminRoute> = {
    '/metrics': {
      method: 'GET',
      handle: async (_req, res) => sendText(res, 200, await options.registry.metrics(), options.registry.contentType),
    },
    '/live': { method: 'GET', handle: (_req, res) => sendText(res, 200, 'live\n') },
    '/ready': {
      method: 'GET',
      handle: (_req, res) => {
        const reason = options.notReadyReason();
        sendText(res, reason ? 503 : 200, reason ? `not ready: ${reason}\n` : 'ready\n');
      },
    },
    ...options.routes,
  };
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[path];
    if (!route) return sendText(res, 404, `no admin endpoint ${path}; try ${Object.keys(routes).join(', ')}\n`);
    if (req.method !== route.method) {
      res.setHeader('allow', route.method);
      return sendText(res, 405, `${path} takes ${route.method}\n`);
    }
    if (route.loopbackOnly && !isLoopback(req.socket.remoteAddress)) {
      return sendText(res, 403, `${path} answers loopback callers only\n`);
    }
    Promise.resolve(route.handle(req, res)).catch((err: Error) => {
      if (!res.headersSent) sendText(res, 500, `${err.message}\n`);
      else res.destroy();
    });
  });
}

export function listenAdmin(server: http.Server, addr: HostPort): Promise<HostPort> {
  return listen(server, addr, 'admin server');
}

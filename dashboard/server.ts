// The small server behind `weft dashboard`: the static app (dashboard/static, ours alone: no CDN, nothing
// fetched from elsewhere, so it works offline), the JSON it reads and the live tap stream (tap.ts). The Content-Security-Policy makes the
// browser refuse anything that is not from this server.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/entrypoint';
import { listen } from '../common/listen';
import type { Logger } from '../common/log';
import type { HostPort } from '../common/address';
import type { MetricsSource } from '../common/views/source';
import type { ObjectivesSource } from './objectives';
import { overview, WINDOWS_SECONDS } from './overview';
import { serviceSlos } from './slos';
import type { TapTargetOf } from '../common/tap-client';
import { relayTap } from './tap';

export interface DashboardOptions {
  source: MetricsSource;
  objectives: ObjectivesSource;
  /** When the source's data begins (a demo's start), for the error budgets; undefined: it holds every window. */
  dataSinceMs?: number;
  log: Logger;
  clock?: () => number;
  /** Where the live tap view's taps go (weft-controller tap, by address or through the Kubernetes API); without it the view says there is none. */
  tap?: TapTargetOf;
}

export const DEFAULT_DASHBOARD_PORT = 50750;
const STATIC_DIR = path.join(REPO_ROOT, 'dashboard', 'static');
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A request the API refuses, with the status and the reason the page shows. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Api = (url: URL) => Promise<unknown>;

export function createDashboardServer(options: DashboardOptions): http.Server {
  const now = options.clock ?? Date.now;
  // Read once: the app is a handful of small files, and a server that started serves what it started with.
  const assets = new Map(Object.entries(STATIC_FILES).map(([route, { file, type }]) => [route, { body: fs.readFileSync(path.join(STATIC_DIR, file)), type }]));
  const apis: Record<string, Api> = {
    '/api/overview': (url) => overview(options.source, windowOf(url), now()),
    '/api/slos': async () => {
      const at = now();
      return { source: options.source.description, atMs: at, services: await serviceSlos(options.source, await options.objectives(), at, options.dataSinceMs) };
    },
    '/api/windows': async () => ({ windowsSeconds: WINDOWS_SECONDS }),
  };
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    const asset = assets.get(url.pathname);
    if (asset) return send(res, 200, asset.type, asset.body);
    if (url.pathname === '/api/tap') return relayTap(options.tap, url, res, SECURITY_HEADERS);
    const api = apis[url.pathname];
    if (!api) return sendJson(res, 404, { error: `no ${url.pathname} here` });
    // Through a promise, so a refusal thrown before the API awaits anything is answered the same way.
    Promise.resolve(url).then(api).then(
      (body) => sendJson(res, 200, body),
      (err: unknown) => {
        const status = err instanceof ApiError ? err.status : 502;
        if (status >= 500) options.log.warn({ path: url.pathname, error: (err as Error).message }, 'dashboard API failed');
        sendJson(res, status, { error: (err as Error).message });
      },
    );
  });
}

export async function listenDashboard(server: http.Server, addr: HostPort): Promise<HostPort> {
  return listen(server, addr, 'the dashboard');
}

function windowOf(url: URL): number {
  const text = url.searchParams.get('window') ?? String(WINDOWS_SECONDS[0]);
  const seconds = Number(text);
  if (!(WINDOWS_SECONDS as readonly number[]).includes(seconds)) {
    throw new ApiError(400, `window=${JSON.stringify(text)} is not offered: use one of ${WINDOWS_SECONDS.join(', ')} (seconds)`);
  }
  return seconds;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  if (res.destroyed) return;
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

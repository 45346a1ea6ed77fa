// nginx as a comparison peer: one worker, keep-alive to the backend (HTTP/1.1 upstream, grpc_pass for h2; the
// idle pool is larger than any load's concurrency because nginx does not multiplex upstream h2 streams),
// no access log, no buffering (HAProxy and weft stream too). Opaque TCP needs the `stream` module, which
// Debian's nginx-light does not ship (libnginx-mod-stream), so that scenario reports nginx as unavailable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOOPBACK, freePort, waitForPort } from '../net';
import { Pinned, SERVER_CORE, deathNote, spawnPinned } from '../processes';
import type { ForwardedProtocol } from '../protocols';

const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
// nginx closes a connection after 1000 requests by default; a load generator would then measure reconnects.
const MANY_REQUESTS = 10_000_000;

/** Why nginx cannot forward `protocol` here, or undefined when it can. */
export function nginxUnsupported(protocol: ForwardedProtocol): string | undefined {
  if (protocol === 'tcp' && !fs.existsSync(STREAM_MODULE)) return 'nginx-light has no stream module (TCP proxying)';
  return undefined;
}

export function nginxConfig(protocol: ForwardedProtocol, dir: string, listenPort: number, backendPort: number): string {
  const upstream = [`  upstream app { server ${LOOPBACK}:${backendPort}; keepalive 256; keepalive_requests ${MANY_REQUESTS}; }`];
  const server =
    protocol === 'tcp'
      ? [`stream {`, `  server { listen ${LOOPBACK}:${listenPort}; proxy_pass ${LOOPBACK}:${backendPort}; }`, `}`]
      : [
          'http {',
          '  access_log off;',
          `  keepalive_requests ${MANY_REQUESTS};`,
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${path.join(dir, `nginx-${t}`)};`),
          ...upstream,
          '  server {',
          `    listen ${LOOPBACK}:${listenPort}${protocol === 'h2' ? ' http2' : ''};`,
          '    location / {',
          ...(protocol === 'h2'
            ? ['      grpc_pass grpc://app;']
            : [
                '      proxy_pass http://app;',
                '      proxy_http_version 1.1;',
                '      proxy_set_header Connection "";',
                '      proxy_set_header Host $http_host;',
                '      proxy_buffering off;',
                // Read the upstream in HAProxy-sized (16 KiB) pieces rather than nginx's default one page.
                '      proxy_buffer_size 16k;',
                '      proxy_buffers 8 16k;',
              ]),
          '    }',
          '  }',
          '}',
        ];
  return [
    ...(protocol === 'tcp' ? [`load_module ${STREAM_MODULE};`] : []),
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 4000; }',
    ...server,
    '',
  ].join('\n');
}

export async function startNginx(dir: string, protocol: ForwardedProtocol, backendPort: number): Promise<{ port: number; process: Pinned }> {
  const unsupported = nginxUnsupported(protocol);
  if (unsupported) throw new Error(unsupported);
  const port = await freePort();
  const file = path.join(dir, `nginx-${protocol}.conf`);
  fs.writeFileSync(file, nginxConfig(protocol, dir, port, backendPort));
  const p = spawnPinned('nginx', SERVER_CORE, 'nginx', ['-p', dir, '-c', file, '-g', 'daemon off;']);
  await waitForPort('nginx', port, deathNote(p));
  return { port, process: p };
}

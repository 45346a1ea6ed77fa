// The request path's only contact with tap: one boolean per request. While no tap is open, `open` is false and
// nothing else of tap is loaded (proxy/tap/listener.ts loads the rest on the first tap connection); while one
// is, `observe` is the tap registry's, which watches the request's response (observe.ts).
import type * as net from 'node:net';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import type { Direction } from '../metrics/labels';

export interface TapGate {
  open: boolean;
  observe(direction: Direction, req: ProxyRequest, sink: ResponseSink, socket: net.Socket): void;
}

export const tapGate: TapGate = { open: false, observe: () => {} };

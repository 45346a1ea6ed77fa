// The webhook's HTTPS server: `POST /inject` takes an AdmissionReview and answers within the deadline the API
// server gave (its `?timeout=` query, at most WEBHOOK_TIMEOUT_SECONDS), always allowing the pod: a patch, no
// patch, or — on any internal error — no patch and a warning that says why. Bodies that are no review get a 4xx
// with a message; nothing a caller sends ends the process.
import * as http from 'node:http';
import * as https from 'node:https';
import { ADMISSION_REVIEW_MAX_BYTES, INJECTOR_PATH, WEBHOOK_SKIP_REASONS, WEBHOOK_TIMEOUT_SECONDS } from '../../common/contract';
import { HostPort } from '../../common/address';
import { Clock, systemClock } from '../../common/clock';
import { parseDuration } from '../../common/duration';
import { listen } from '../../common/listen';
import type { Logger } from '../../common/log';
import { ADMISSION_API_VERSION, AdmissionAnswer, admissionResponse, AdmissionRequest, readAdmissionReview } from './admission';
import { decide, InjectorFacts, InjectorInternalError } from './decide';
import type { InjectorMetrics } from './metrics';
import type { KeyPair } from '../tls/tls-dir';

export interface InjectorServerOptions {
  address: HostPort;
  keyPair: KeyPair;
  facts: InjectorFacts;
  metrics: InjectorMetrics;
  log: Logger;
  clock?: Clock;
}

export interface InjectorServer {
  port: number;
  /** Serves new connections with this certificate (a reloaded Secret). */
  setKeyPair(pair: KeyPair): void;
  close(): Promise<void>;
}

/** The share of the API server's timeout the injector gives itself: the rest is for the network and the answer. */
const DEADLINE_FRACTION = 0.5;
/** Slow or stalled clients are cut off well after any real review would have been sent; this also bounds how long
 * the rest of an oversized body is read (and dropped) after its 413, which keeps the 413 readable for the caller. */
const REQUEST_TIMEOUT_MS = 30_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startInjectorServer(options: InjectorServerOptions): Promise<InjectorServer> {
  const { log, metrics } = options;
  const clock = options.clock ?? systemClock;
  const server = https.createServer({ ...options.keyPair, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    serve(req, res).catch((err: unknown) => {
      // Past the point where an answer can be written (the caller left): nothing to tell anyone but the log.
      log.warn({ error: (err as Error).message }, 'admission request failed outside its guard');
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.on('tlsClientError', (err: Error) => log.debug({ error: err.message }, 'TLS handshake with a client failed'));

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://injector');
    if (url.pathname !== INJECTOR_PATH) return sendText(res, 404, `no endpoint ${url.pathname}; the injector answers POST ${INJECTOR_PATH}\n`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendText(res, 405, `${INJECTOR_PATH} takes POST with an AdmissionReview\n`);
    }
    let request: AdmissionRequest;
    try {
      request = readRequest(await readBody(req));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      metrics.answered(WEBHOOK_SKIP_REASONS.invalidReview);
      log.warn({ status: err.status, problem: err.message }, 'refused a request that is no AdmissionReview');
      return sendText(res, err.status, `${err.message}\n`);
    }
    const answer = await answerWithin(request, deadlineMs(url));
    const body = JSON.stringify(admissionResponse(request.uid, answer));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** decide() bounded by the deadline; every failure, the deadline included, is an allowed answer with a warning. */
  async function answerWithin(request: AdmissionRequest, budgetMs: number): Promise<AdmissionAnswer> {
    const abort = new AbortController();
    const outOfTime = new Promise<never>((_resolve, reject) => {
      const timer = clock.setTimeout(() => {
        const err = new InjectorInternalError(`no answer within ${budgetMs} ms (the Kubernetes API is slow or unreachable)`);
        abort.abort(err);
        reject(err);
      }, budgetMs);
      abort.signal.addEventListener('abort', () => clock.clearTimeout(timer), { once: true });
    });
    const where = { uid: request.uid, namespace: request.namespace, name: request.name };
    try {
      const decision = await Promise.race([decide(request, options.facts, abort.signal), outOfTime]);
      if (decision.kind === 'injected') {
        metrics.answered(undefined);
        log.info({ ...where, dryRun: request.dryRun }, 'pod injected');
        return { patch: decision.patch, warnings: decision.warnings };
      }
      metrics.answered(decision.reason);
      log.debug({ ...where, reason: decision.reason, detail: decision.detail }, 'pod left alone');
      return { warnings: decision.warnings };
    } catch (err) {
      metrics.answered(WEBHOOK_SKIP_REASONS.internalError);
      const message = err instanceof Error ? err.message : String(err);
      // An InjectorInternalError says what is missing; anything else is a fault here, worth its stack.
      log.warn({ ...where, error: message, ...(err instanceof InjectorInternalError ? {} : { stack: (err as Error).stack }) }, 'admitted a pod without a proxy');
      return { warnings: [`weft-proxy-injector could not mesh this pod, so it starts without a proxy: ${message}`] };
    } finally {
      abort.abort();
    }
  }

  const bound = await listen(server, options.address, 'injector');
  return {
    port: bound.port,
    setKeyPair: (pair) => server.setSecureContext(pair),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Half the API server's own timeout (its `?timeout=10s`), capped by the webhook's configured maximum. */
function deadlineMs(url: URL): number {
  const asked = parseDuration(url.searchParams.get('timeout') ?? '');
  const limit = Math.min(asked ?? Infinity, WEBHOOK_TIMEOUT_SECONDS * 1000);
  return Math.max(1, Math.floor(limit * DEADLINE_FRACTION));
}

function readRequest(body: Buffer): AdmissionRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the body is not JSON (${(err as Error).message}): send an AdmissionReview ${ADMISSION_API_VERSION}`);
  }
  const review = readAdmissionReview(parsed);
  if (review.kind === 'invalid') throw new HttpError(400, review.problem);
  return review.request;
}

/**
 * The whole body, or a 413 as soon as it is known to exceed the limit (by Content-Length or by counting). The
 * rest of an oversized body is read and dropped rather than the socket destroyed, so the caller sees the 413.
 */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `the AdmissionReview is larger than ${ADMISSION_REVIEW_MAX_BYTES} bytes`);
  const type = req.headers['content-type'];
  if (type !== undefined && !/\bjson\b/i.test(type)) return Promise.reject(new HttpError(415, `expected Content-Type application/json, got ${type}`));
  if (Number(req.headers['content-length'] ?? 0) > ADMISSION_REVIEW_MAX_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size <= ADMISSION_REVIEW_MAX_BYTES) return void chunks.push(chunk);
      over = true;
      chunks = [];
      reject(tooLarge());
    });
    req.on('end', () => (over ? undefined : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function sendText(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

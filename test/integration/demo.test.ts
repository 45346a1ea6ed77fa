// `weft demo`: the sample apps on their own, then the whole meshed demo started the way a user starts it.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import t, { Test } from 'tap';
import { HostPort, formatHostPort } from '../../common/address';
import { METRIC, TLS_NO_IDENTITY, TLS_TRUE } from '../../common/contract';
import { REPO_ROOT, nodeArgsFor } from '../../common/entrypoint';
import { authorityOf, identityOf } from '../../cli/demo/topology';
import { Sample, fetchMetrics, sumWhere } from '../../common/views/exposition';
import { NO_TLS_REASON } from '../../proxy/metrics/labels';
import { acceptsConnections, waitFor } from '../../cli/demo/wait';
import { DemoWorkload, delay, freePort, isAlive, startDemo, untrackedNode } from '../fixtures/demo';

interface Answer {
  status: number;
  body: string;
}

/** GET `url`, directly or through `proxy` as an HTTP proxy (absolute-form request target). */
function get(url: URL, proxy?: URL): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const via = proxy ?? url;
    const req = http.get(
      { host: via.hostname, port: via.port, path: proxy ? url.href : url.pathname, headers: { host: url.host }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url.href} timed out`)));
    req.on('error', reject);
  });
}

/** Starts sample apps as their own processes, stopped at the test's teardown. */
function appStarter(t: Test): (app: string, flags: string[]) => void {
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill())))));
  });
  return (app, flags) => {
    children.push(spawn(...untrackedNode([...nodeArgsFor(`cli/demo/${app}`), ...flags]), { cwd: REPO_ROOT, stdio: ['pipe', 'inherit', 'inherit'] }));
  };
}

/** A minimal HTTP CONNECT proxy that records what it was asked for and tunnels to `target`. */
async function connectRelay(t: Test, target: HostPort): Promise<{ addr: HostPort; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((client) => {
    client.once('data', (head: Buffer) => {
      requests.push(head.toString('latin1').split('\r\n')[0]);
      const upstream = net.connect(target.port, target.host, () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        client.pipe(upstream).pipe(client);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { addr: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, requests };
}

// The demos spend most of their time starting up and waiting: run the tests side by side.
t.jobs = 2;

t.test('the sample apps serve web → books (gRPC) → stock (TCP, via HTTP CONNECT) without weft-proxy', async (t) => {
  const [stock, books, web] = await Promise.all([freePort(), freePort(), freePort()]).then((ports) =>
    ports.map((port) => ({ host: '127.0.0.1', port })),
  );
  const relay = await connectRelay(t, stock);
  const start = appStarter(t);
  start('stock', ['--listen', formatHostPort(stock)]);
  start('books', ['--listen', formatHostPort(books), '--stock', formatHostPort(relay.addr), '--stock-connect', authorityOf('stock')]);
  start('web', ['--listen', formatHostPort(web), '--books', formatHostPort(books), '--books-authority', authorityOf('books')]);
  const signal = new AbortController().signal;
  for (const addr of [stock, books, web]) await waitFor(formatHostPort(addr), () => acceptsConnections(addr), 20_000, signal);

  const base = `http://${formatHostPort(web)}`;
  const list = await get(new URL('/', base));
  t.equal(list.status, 200, 'GET / is served');
  t.match(list.body, /4 books/, 'GET / lists the catalog (unary ListBooks)');
  t.match(list.body, /Kindred \(Octavia E\. Butler\): 7 in stock/, 'with counts read from stock');
  const streamed = await get(new URL('/books', base));
  t.equal(streamed.body.trim().split('\n').length, 4, 'GET /books has one line per streamed book (StreamBooks)');
  t.equal((await get(new URL('/books/99', base))).status, 500, 'the book without a stock record fails');
  t.equal((await get(new URL('/books/7', base))).status, 404, 'an unknown book is 404 (NOT_FOUND)');
  t.equal((await get(new URL('/nowhere', base))).status, 404, 'an unknown page is 404');
  const connect = `CONNECT ${authorityOf('stock')} HTTP/1.1`;
  t.same(relay.requests, [connect, connect, connect], 'books opened one CONNECT tunnel to the stock authority per call that needs stock');
});

/** What each server workload's proxy counted inbound from its caller over mTLS, the caller named by its certificate. */
interface MeshedInbound {
  webRequests: number;
  webResponses: number;
  booksRequests: number;
  booksResponses: number;
  stockConnections: number;
}

function meshedInbound(metrics: Record<DemoWorkload, Sample[]>): MeshedInbound {
  const from = (caller: DemoWorkload) => ({ direction: 'inbound', tls: TLS_TRUE, client_id: identityOf(caller) });
  const web = { ...from('load'), authority: authorityOf('web') };
  const books = { ...from('web'), authority: authorityOf('books') };
  return {
    webRequests: sumWhere(metrics.web, METRIC.requestTotal, web),
    webResponses: sumWhere(metrics.web, METRIC.responseTotal, web),
    booksRequests: sumWhere(metrics.books, METRIC.requestTotal, books),
    booksResponses: sumWhere(metrics.books, METRIC.responseTotal, books),
    // The connection books' proxy opened, as stock's proxy accepted it (peer="src"); peer="dst" is to the app.
    stockConnections: sumWhere(metrics.stock, METRIC.tcpOpenTotal, { ...from('books'), peer: 'src' }),
  };
}

async function scrapeAll(urls: Record<DemoWorkload, string>): Promise<Record<DemoWorkload, Sample[]>> {
  const names = Object.keys(urls) as DemoWorkload[];
  const scraped = await Promise.all(names.map((name) => fetchMetrics(urls[name], 2000)));
  return Object.fromEntries(names.map((name, i) => [name, scraped[i]])) as Record<DemoWorkload, Sample[]>;
}

t.test('weft demo serves through its proxies over mTLS, counts requests and stops by itself', async (t) => {
  const demo = await startDemo(t, ['--duration', '20s', '--rps', '10']);
  const { info } = demo;

  const page = await get(info.webUrl, info.curlProxy);
  t.equal(page.status, 200, 'the printed curl gets the web page through the load generator’s proxy');
  t.match(page.body, /weft demo bookshop: 4 books/);
  const anchorFile = /trust anchor\s+(\S+\/ca\.crt)\n[\s\S]*weft certs inspect \1\n/.exec(demo.stdout())?.[1];
  t.ok(anchorFile && fs.existsSync(anchorFile), `prints the trust anchor it made and how to inspect it (${anchorFile})`);

  // Counters only grow: poll until every hop of a request (load → web → books → stock) has been counted.
  let metrics = await scrapeAll(info.metricsUrls);
  let counted = meshedInbound(metrics);
  const deadline = Date.now() + 10_000;
  while (Object.values(counted).some((n) => n === 0) && Date.now() < deadline) {
    await delay(250);
    metrics = await scrapeAll(info.metricsUrls);
    counted = meshedInbound(metrics);
  }
  const detail = { counted };
  t.ok(counted.webRequests > 0 && counted.webResponses > 0, `web's proxy counts requests and responses from load over mTLS`, detail);
  t.ok(counted.booksRequests > 0 && counted.booksResponses > 0, `books' proxy counts gRPC requests and responses from web over mTLS`, detail);
  t.ok(counted.stockConnections > 0, `stock's proxy accepted books' opaque TCP connections over mTLS`, detail);
  // Between proxies everything is mTLS: plaintext is left only for the hop between a proxy and its own app.
  const plaintext = Object.entries(metrics).flatMap(([name, samples]) =>
    samples.filter((s) => s.labels.tls === TLS_NO_IDENTITY && s.labels.no_tls_reason !== NO_TLS_REASON.loopback).map((s) => `${name}: ${s.name}${JSON.stringify(s.labels)}`),
  );
  t.same(plaintext, [], 'no proxy counts traffic to or from another proxy without mTLS');

  const code = await Promise.race([demo.exited, delay(25_000).then(() => 'still running 25s later')]);
  t.equal(code, 0, 'exits 0 by itself after --duration', { output: demo.stdout() });
  t.match(demo.stdout(), /weft demo: stopped\./, 'says it stopped');
  t.notOk(fs.existsSync(path.dirname(anchorFile!)), 'its PKI, private keys included, is removed');
  t.same(info.pids.filter(isAlive), [], 'no process of the demo is left');
});

t.test('SIGINT stops weft demo early, with exit 0 and nothing left running', async (t) => {
  const demo = await startDemo(t, ['--rps', '5']);
  t.equal(demo.child.exitCode, null, 'running without --duration');
  demo.child.kill('SIGINT');
  const code = await Promise.race([demo.exited, delay(15_000).then(() => 'still running 15s after SIGINT')]);
  t.equal(code, 0, 'exits 0 after SIGINT', { output: demo.stdout() });
  t.same(demo.info.pids.filter(isAlive), [], 'no process of the demo is left');
});

t.test('a process that dies on its own stops the whole demo with exit 1 and is named', async (t) => {
  const demo = await startDemo(t, ['--rps', '5']);
  const books = demo.info.appPids.books!;
  process.kill(books, 'SIGKILL');
  const code = await Promise.race([demo.exited, delay(15_000).then(() => 'still running 15s after books died')]);
  t.equal(code, 1, 'exits 1', { output: demo.stdout() });
  t.match(demo.stdout(), `weft: error: books (pid ${books}) was killed by SIGKILL`, 'says which process died and how');
  t.same(demo.info.pids.filter(isAlive), [], 'no process of the demo is left');
});

t.test('a controller that cannot start stops weft demo with exit 1, and is named', async (t) => {
  // The controller takes the first ports from --base-port; holding the first one makes it fail to listen.
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const basePort = (taken.address() as net.AddressInfo).port;
  await t.rejects(startDemo(t, ['--base-port', String(basePort), '--duration', '5s'], 20_000), {
    message: new RegExp(`exited \\(1\\) before it was ready[\\s\\S]*EADDRINUSE[\\s\\S]*weft: error: controller \\(pid \\d+\\) exited with code 1`),
  });
});

// weft dashboard: polls the server's JSON (/api/overview, /api/slos) and draws the dependency graph, the
// workloads' golden metrics with sparklines, and the SLO panel; the tap view streams /api/tap (NDJSON) live.
// Plain DOM and SVG, nothing loaded from elsewhere. Raw numbers go into data-* attributes as well, so what the page shows can be checked exactly.
'use strict';

const REFRESH_MS = 3000;
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, text) {
  const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const pct = (ratio, digits = 2) => (ratio === undefined || ratio === null ? '-' : `${(ratio * 100).toFixed(digits)}%`);
const num = (n, digits = 1) => (n === undefined || n === null ? '-' : n.toFixed(digits));
const ms = (n) => (n === undefined ? '-' : `${Math.round(n)}ms`);
const health = (ratio) => (ratio === undefined || ratio === null ? '' : ratio >= 0.99 ? 'ok' : ratio >= 0.95 ? 'warn' : 'bad');

function duration(seconds) {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${Math.round(seconds)}s`;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || `${path} answered ${res.status}`);
  return body;
}

/** A polyline over `values` (nulls leave gaps at the baseline), scaled to its own maximum. */
function sparkline(values, kind, max) {
  const width = 90;
  const height = 20;
  const top = max ?? Math.max(1e-9, ...values.filter((v) => v !== null));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - ((v ?? 0) / top) * (height - 2) - 1).toFixed(1)}`);
  const svg = el('svg:svg', { class: `spark ${kind}`, width, height, viewBox: `0 0 ${width} ${height}`, 'data-points': values.length });
  svg.append(el('svg:polyline', { points: points.join(' ') }));
  return svg;
}

function renderWorkloads(workloads) {
  const body = $('workloads').tBodies[0];
  body.replaceChildren(
    ...workloads.map((w) => {
      const row = el('tr', { 'data-workload': w.name, 'data-namespace': w.namespace, 'data-success-rate': w.successRate ?? '', 'data-rps': w.rps ?? '' });
      const meshed = w.meshed ? `${w.meshed.ready}/${w.meshed.total}` : '-';
      const cells = [`${w.namespace}/${w.name}`, meshed, pct(w.successRate), num(w.rps), ms(w.latencyMs.p50), ms(w.latencyMs.p95), ms(w.latencyMs.p99), w.tcpConnections ?? '-'];
      cells.forEach((text, i) => row.append(el('td', i === 2 ? { class: `success ${health(w.successRate)}` } : {}, String(text))));
      for (const spark of [sparkline(w.spark.rps, 'rps'), sparkline(w.spark.successRate, 'success', 1)]) {
        const cell = el('td');
        cell.append(spark);
        row.append(cell);
      }
      return row;
    }),
  );
}

/** Columns by call depth (callers left of callees), rows in name order; edges as curves with their numbers. */
function renderGraph(workloads, edges) {
  const svg = $('graph');
  const names = new Set([...workloads.map((w) => w.name), ...edges.flatMap((e) => [e.src, e.dst])]);
  const depth = new Map([...names].map((n) => [n, 0]));
  for (let pass = 0; pass < names.size; pass++) for (const e of edges) if (e.src !== e.dst) depth.set(e.dst, Math.max(depth.get(e.dst), depth.get(e.src) + 1));
  const columns = [];
  for (const n of [...names].sort()) (columns[depth.get(n)] ??= []).push(n);
  const box = { w: 150, h: 50 };
  const gapX = 230;
  const gapY = 90;
  const rows = Math.max(1, ...columns.map((col) => col.length));
  const height = Math.max(200, 60 + rows * gapY);
  const pos = new Map();
  // Each column centred vertically, odd columns a little lower so that the edge labels do not line up.
  columns.forEach((col, x) => col.forEach((n, y) => pos.set(n, { x: 10 + x * gapX, y: (height - col.length * gapY) / 2 + y * gapY + (x % 2) * 24 })));
  const width = Math.max(600, 20 + (columns.length - 1) * gapX + box.w);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const defs = el('svg:defs');
  const marker = el('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(el('svg:path', { d: 'M0,0 L10,5 L0,10 z' }));
  defs.append(marker);
  const parts = [defs];
  for (const e of edges) {
    const a = pos.get(e.src);
    const b = pos.get(e.dst);
    const x1 = a.x + box.w;
    const y1 = a.y + box.h / 2;
    const x2 = b.x;
    const y2 = b.y + box.h / 2;
    const g = el('svg:g', { class: `edge ${e.mtls ? 'mtls' : 'plain'}`, 'data-edge': `${e.src}->${e.dst}`, 'data-mtls': e.mtls, 'data-rate': e.rate, 'data-success-rate': e.successRate ?? '' });
    const mid = (x1 + x2) / 2;
    g.append(el('svg:path', { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }));
    const label = `${num(e.rate)} ${e.unit}${e.successRate === undefined ? '' : ` · ${pct(e.successRate, 1)}`}`;
    g.append(el('svg:text', { x: mid, y: Math.min(y1, y2) - 16, 'text-anchor': 'middle' }, label));
    g.append(el('svg:text', { x: mid, y: Math.min(y1, y2) - 4, 'text-anchor': 'middle', class: e.mtls ? 'mtls' : 'plain' }, e.mtls ? 'mTLS' : 'not mTLS'));
    g.append(el('svg:title', {}, e.mtls ? `mTLS: ${e.clientId} → ${e.serverId}` : `not mTLS: ${e.msg}`));
    parts.push(g);
  }
  for (const [n, p] of pos) {
    const w = byName.get(n);
    const failing = w && w.successRate !== undefined && w.successRate < 0.95;
    const g = el('svg:g', { class: `node${failing ? ' failing' : ''}`, 'data-node': n, transform: `translate(${p.x},${p.y})` });
    g.append(el('svg:rect', { width: box.w, height: box.h, rx: 6 }));
    g.append(el('svg:text', { class: 'name', x: 10, y: 18 }, n));
    const tcpIn = edges.filter((e) => e.dst === n && e.unit === 'conn/s').reduce((sum, e) => sum + e.rate, 0);
    const detail = !w ? 'outside the mesh' : w.responses > 0 ? `${pct(w.successRate, 1)} · ${num(w.rps)} rps` : tcpIn > 0 ? `TCP · ${num(tcpIn)} conn/s` : 'serves no requests';
    g.append(el('svg:text', { x: 10, y: 36, class: 'muted' }, detail));
    parts.push(g);
  }
  svg.replaceChildren(...parts);
}

function renderSlos(services) {
  const body = $('slos').tBodies[0];
  $('slo-empty').hidden = services.length > 0;
  const rows = [];
  for (const s of services) {
    for (const o of s.objectives) {
      const objective = o.kind === 'latency' ? `${pct(o.target, 1)} within ${o.le}ms` : `${pct(o.target, 2)} success`;
      const row = el('tr', { 'data-service': s.service, 'data-namespace': s.namespace, 'data-kind': o.kind, 'data-budget-remaining': o.budgetRemaining });
      row.append(el('td', {}, `${s.namespace}/${s.service}`), el('td', {}, objective), el('td', { title: `budget over the ${duration(o.coveredSeconds)} with data` }, duration(s.windowSeconds)));
      const left = el('td', { class: 'budget-left' });
      const bar = el('span', { class: `budget${o.budgetRemaining <= 0 ? ' spent' : o.budgetRemaining < 0.25 ? ' low' : ''}` });
      bar.append(el('span', { style: undefined }));
      bar.firstChild.style.width = `${Math.max(0, Math.min(1, o.budgetRemaining)) * 100}%`;
      left.append(bar, document.createTextNode(pct(o.budgetRemaining, 3)));
      row.append(left);
      for (const w of ['5m', '30m', '1h', '6h']) row.append(el('td', { 'data-burn': w }, o.burnRates[w] === null ? '-' : `${num(o.burnRates[w], 2)}×`));
      const alerts = el('td');
      for (const a of o.alerts) {
        alerts.append(el('span', { class: `alert${a.firing ? ' firing' : ''}`, title: `burn rate over ${a.long} and ${a.short} at or above ${num(a.factor, 2)}×` }, `${a.severity} ${a.firing ? 'firing' : 'ok'}`));
      }
      row.append(alerts);
      rows.push(row);
    }
  }
  body.replaceChildren(...rows);
}

let windowSeconds = 60;

async function refresh() {
  try {
    const [view, slos] = await Promise.all([getJson(`/api/overview?window=${windowSeconds}`), getJson('/api/slos')]);
    $('source').textContent = `metrics from ${view.source}`;
    renderGraph(view.workloads, view.edges);
    renderWorkloads(view.workloads);
    renderSlos(slos.services);
    const updated = $('updated');
    updated.textContent = `updated ${new Date(view.atMs).toLocaleTimeString()}`;
    updated.dataset.atMs = view.atMs;
    updated.dataset.window = view.windowSeconds;
    $('error').hidden = true;
  } catch (err) {
    $('error').textContent = `cannot update: ${err.message}`;
    $('error').hidden = false;
  }
}

/** The tap view: at most this many rows, newest first. */
const TAP_ROWS = 100;
let tapStream;

function renderTapEvent(e) {
  const row = el('tr', { 'data-direction': e.direction, 'data-method': e.method, 'data-authority': e.authority, 'data-status': e.status, 'data-pod': e.pod });
  const peer = (e.direction === 'inbound' ? e.clientId || e.clientAddr : e.serverId || e.targetAddr) || '-';
  const cells = [new Date(e.timeMs).toLocaleTimeString(), `${e.namespace}/${e.pod}`, e.direction, e.method, e.authority, e.path, e.status, e.grpcStatus ?? '-', `${num(e.latencyMs)}ms`, e.responseBytes, e.tls ? 'mTLS' : e.noTlsReason || 'no', peer, e.proxyError || '-'];
  cells.forEach((text, i) => row.append(el('td', i === 6 ? { class: e.status >= 500 || e.proxyError ? 'bad' : 'ok' } : {}, String(text))));
  const body = $('tap').tBodies[0];
  body.prepend(row);
  while (body.rows.length > TAP_ROWS) body.deleteRow(-1);
}

function setTapState(text, running) {
  $('tap-state').textContent = text;
  $('tap-toggle').textContent = running ? 'Stop' : 'Start';
}

/** Streams /api/tap's NDJSON into the table until stopped, the server ends it, or it fails. */
async function runTap(params) {
  const controller = new AbortController();
  tapStream = controller;
  setTapState('connecting …', true);
  try {
    const res = await fetch(`/api/tap?${params}`, { cache: 'no-store', signal: controller.signal });
    if (!res.ok) throw new Error((await res.json()).error || `/api/tap answered ${res.status}`);
    setTapState('streaming', true);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines.filter((l) => l.trim())) {
        const msg = JSON.parse(line);
        if (msg.event) renderTapEvent(msg.event);
        else if (msg.error) setTapState(`pod ${msg.error.namespace}/${msg.error.pod}: ${msg.error.message}`, true);
      }
    }
    setTapState('ended', false);
  } catch (err) {
    setTapState(controller.signal.aborted ? 'stopped' : `tap failed: ${err.message}`, false);
  } finally {
    if (tapStream === controller) tapStream = undefined;
  }
}

function startTapForm() {
  $('tap-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (tapStream) return tapStream.abort();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(event.target)) if (String(v).trim()) params.set(k, String(v).trim());
    void runTap(params);
  });
}

async function start() {
  startTapForm();
  const { windowsSeconds } = await getJson('/api/windows');
  const picker = $('window');
  for (const s of windowsSeconds) picker.append(el('option', { value: s }, `last ${duration(s)}`));
  picker.value = String(windowSeconds);
  picker.addEventListener('change', () => {
    windowSeconds = Number(picker.value);
    void refresh();
  });
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

void start();

// The tap table's derived columns and words: ratios to tap closed, and a difference called noise only when it
// is within the range of the rounds.
import t from 'tap';
import { tapScenario } from '../../../../bench/scenarios/tap';
import type { Row, Table, Values } from '../../../../bench/scenarios/types';
import { TAP_CLOSED, TAP_OPEN_EVERY_REQUEST, TAP_OPEN_NO_MATCH } from '../../../../bench/tap';

function tableOf(rows: Row[]): Table {
  return { ...tapScenario.tables[0], rows };
}

const SPREAD: Values = { requestsPerSecond: 500, cpuUsPerRequest: 10, p99Ms: 0.5 };

t.test('ratios to tap closed, and a closed tap within noise of no tap port', async (t) => {
  const table = tableOf([
    { path: 'weft 1 hop', values: { requestsPerSecond: 5100, cpuUsPerRequest: 98, p99Ms: 2.1 }, spread: SPREAD },
    { path: TAP_CLOSED, values: { requestsPerSecond: 5000, cpuUsPerRequest: 100, p99Ms: 2 }, spread: SPREAD },
    { path: TAP_OPEN_NO_MATCH, values: { requestsPerSecond: 4950, cpuUsPerRequest: 104, p99Ms: 2.2, eventsPerRequest: 0 }, spread: SPREAD },
    { path: TAP_OPEN_EVERY_REQUEST, values: { requestsPerSecond: 3000, cpuUsPerRequest: 150, p99Ms: 4, eventsPerRequestAtRate: 1, eventsPerRequest: 0.75, slowReaderDroppedPerRequest: 0.25 }, spread: SPREAD },
  ]);
  tapScenario.derive!([table]);
  const every = table.rows[3].values;
  t.equal(every.rpsVsClosed, 0.6);
  t.equal(every.cpuVsClosed, 1.5);
  t.equal(every.p99VsClosed, 2);
  t.equal(table.rows[1].values.cpuVsClosed, 1, 'tap closed is its own reference');
  const [closed, noMatch, all] = table.findings!;
  t.match(closed, /^Tap closed against no tap port .*: req\/s −2\.0% \(within noise.*proxy CPU per request \+2\.0% \(within noise.*: a closed tap costs nothing this run can tell from noise\.$/);
  t.match(noMatch, /^A tap open that matches nothing, against tap closed: .*within noise.*read 0\.000 tap events per request at 1000 req\/s/);
  t.match(all, /req\/s −40\.0% \(beyond noise: the rounds ranged over 10\.0%\)/);
  t.match(all, /proxy CPU per request \+50\.0% \(beyond noise/);
  t.match(all, /read 1\.000 tap events per request at 1000 req\/s and 0\.750 at saturation, where the proxy dropped 0\.000 per request past max_rps and 0\.250 for a slow reader\.$/);
});

t.test('a difference past the rounds\' range is not called noise; one round gives no estimate', async (t) => {
  const beyond = tableOf([
    { path: 'weft 1 hop', values: { cpuUsPerRequest: 80 }, spread: { cpuUsPerRequest: 5 } },
    { path: TAP_CLOSED, values: { cpuUsPerRequest: 100 }, spread: { cpuUsPerRequest: 5 } },
  ]);
  tapScenario.derive!([beyond]);
  t.match(beyond.findings![0], /proxy CPU per request \+25\.0% \(beyond noise/);
  t.notMatch(beyond.findings![0], /costs nothing/);

  const oneRound = tableOf([
    { path: 'weft 1 hop', values: { cpuUsPerRequest: 100 }, spread: {} },
    { path: TAP_CLOSED, values: { cpuUsPerRequest: 100 }, spread: {} },
  ]);
  tapScenario.derive!([oneRound]);
  t.match(oneRound.findings![0], /one round: no noise estimate/);
  t.notMatch(oneRound.findings![0], /costs nothing/);
});

// The check runner without a cluster: results in order, warnings as ‼ that keep success, a fatal failure ends the
// run, skipped checks leave no trace, --wait retries a failing check (and only a failing, non-warning one).
import t from 'tap';
import { CHECK_CATEGORIES } from '../../../../common/contract';
import { CheckContext } from '../../../../cli/check/context';
import { formatJson, StreamingPrinter } from '../../../../cli/check/output';
import { runChecks } from '../../../../cli/check/run';
import { CheckFailure, type Category, type Check } from '../../../../cli/check/types';

const ctx = () => new CheckContext({ controlPlaneNamespace: 'weft', cliVersion: '0.1.0', now: Date.now });
const pass = (description: string): Check => ({ description, hint: 'h', run: async () => undefined });
const fail = (description: string, extra: Partial<Check> = {}): Check => ({
  description,
  hint: `fix ${description}`,
  run: async () => {
    throw new CheckFailure(`${description} is broken\nsecond line dropped`);
  },
  ...extra,
});

t.test('results, warnings, skips and the fatal stop', async (t) => {
  const categories: Category[] = [
    { name: CHECK_CATEGORIES.kubernetesApi, checks: [pass('a'), fail('b', { warning: true }), { description: 'c', hint: 'h', run: async () => ({ skipped: 'n/a' }) }] },
    { name: CHECK_CATEGORIES.weftHa, checks: [{ description: 'only skipped', hint: 'h', run: async () => ({ skipped: 'n/a' }) }] },
    { name: CHECK_CATEGORIES.weftIdentity, checks: [fail('d'), fail('e', { fatal: true }), pass('never run')] },
    { name: CHECK_CATEGORIES.weftConfig, checks: [pass('never run either')] },
  ];
  const report = await runChecks(categories, ctx());
  t.same(report, {
    success: false,
    categories: [
      { categoryName: 'kubernetes-api', checks: [{ description: 'a', result: 'success' }, { description: 'b', result: 'warning', error: 'b is broken', hint: 'fix b' }] },
      {
        categoryName: 'weft-identity',
        checks: [
          { description: 'd', result: 'error', error: 'd is broken', hint: 'fix d' },
          { description: 'e', result: 'error', error: 'e is broken', hint: 'fix e' },
        ],
      },
    ],
  });
  t.equal(formatJson(report), `${JSON.stringify(report, null, 2)}\n`);
  const warningsOnly = await runChecks([{ name: CHECK_CATEGORIES.kubernetesApi, checks: [fail('w', { warning: true })] }], ctx());
  t.equal(warningsOnly.success, true, 'a warning does not fail the run');
});

t.test('a CheckFailure may name its own hint; any other error keeps the check\'s', async (t) => {
  const report = await runChecks(
    [{
      name: CHECK_CATEGORIES.kubernetesApi,
      checks: [
        { description: 'own', hint: 'generic', run: async () => { throw new CheckFailure('x', 'specific'); } },
        { description: 'plain', hint: 'generic', run: async () => { throw new TypeError('boom'); } },
      ],
    }],
    ctx(),
  );
  t.match(report.categories[0].checks, [{ hint: 'specific' }, { error: 'boom', hint: 'generic' }]);
});

t.test('with a deadline a failing check is tried again until it passes; warnings are not retried', async (t) => {
  let tries = 0;
  let warned = 0;
  const flaky: Check = { description: 'flaky', hint: 'h', run: async () => { if (++tries < 3) throw new CheckFailure('not yet'); } };
  const warning: Check = { description: 'warn', hint: 'h', warning: true, run: async () => { warned++; throw new CheckFailure('soon'); } };
  const started = Date.now();
  const report = await runChecks([{ name: CHECK_CATEGORIES.weftExistence, checks: [flaky, warning] }], ctx(), { deadline: Date.now() + 30_000 });
  t.equal(tries, 3);
  t.equal(warned, 1);
  t.match(report, { success: true, categories: [{ checks: [{ result: 'success' }, { result: 'warning' }] }] });
  t.ok(Date.now() - started >= 1900, 'a second between tries');

  let never = 0;
  const stuck: Check = { description: 'stuck', hint: 'h', run: async () => { never++; throw new CheckFailure('still'); } };
  const timedOut = await runChecks([{ name: CHECK_CATEGORIES.weftExistence, checks: [stuck] }], ctx(), { deadline: Date.now() + 3000 });
  t.equal(timedOut.success, false);
  t.ok(never >= 2 && never <= 4, `tried until the deadline (${never} times)`);
});

t.test('the streaming printer: table prints everything, short only what did not pass', async (t) => {
  const categories: Category[] = [
    { name: CHECK_CATEGORIES.kubernetesApi, checks: [pass('a')] },
    { name: CHECK_CATEGORIES.weftIdentity, checks: [pass('b'), fail('c', { warning: true })] },
  ];
  const print = async (output: 'table' | 'short') => {
    let text = '';
    const printer = new StreamingPrinter(output, (s) => (text += s));
    const report = await runChecks(categories, ctx(), { onCategory: (n) => printer.category(n), onResult: (o) => printer.result(o) });
    printer.finish(report);
    return text;
  };
  t.equal(await print('table'), [
    'kubernetes-api', '--------------', '✔ a', '', 'weft-identity', '-------------', '✔ b', '‼ c', '    c is broken', '    hint: fix c', '', 'Status check results are ✔', '',
  ].join('\n'));
  t.equal(await print('short'), ['weft-identity', '-------------', '‼ c', '    c is broken', '    hint: fix c', '', 'Status check results are ✔', ''].join('\n'));
});

import t from 'tap';
import { DEFAULT_OPAQUE_PORTS, ENV } from '../../../common/contract';
import { UsageError } from '../../../common/errors';
import { loadConfig, parsePortList } from '../../../proxy/config';

t.test('defaults follow the contract', async (t) => {
  const c = loadConfig({});
  t.same(c.outboundAddr, { host: '127.0.0.1', port: 4140 });
  t.same(c.inboundAddr, { host: '0.0.0.0', port: 4143 });
  t.same(c.adminAddr, { host: '0.0.0.0', port: 4191 });
  t.same(c.tapAddr, { host: '0.0.0.0', port: 4190 });
  t.equal(c.logLevel, 'warn');
  t.equal(c.detectProtocolTimeoutMs, 10_000);
  t.same([...c.inboundOpaquePorts].sort((a, b) => a - b), DEFAULT_OPAQUE_PORTS);
  t.equal(c.identity.disabled, false);
  t.same(c.destination, { kind: 'none' });
});

t.test('every value can be overridden from the environment', async (t) => {
  const c = loadConfig({
    [ENV.outboundListenAddr]: '127.0.0.1:0',
    [ENV.inboundListenAddr]: '[::1]:9',
    [ENV.detectProtocolTimeout]: '250ms',
    [ENV.shutdownGracePeriod]: '1m',
    [ENV.inboundOpaquePorts]: '7000,8000-8002',
    [ENV.destinationFile]: '/tmp/endpoints.yaml',
    [ENV.identityDisabled]: 'TRUE',
    [ENV.log]: 'debug',
  });
  t.same(c.outboundAddr, { host: '127.0.0.1', port: 0 });
  t.same(c.inboundAddr, { host: '::1', port: 9 });
  t.equal(c.detectProtocolTimeoutMs, 250);
  t.equal(c.shutdownGracePeriodMs, 60_000);
  t.same([...c.inboundOpaquePorts], [7000, 8000, 8001, 8002]);
  t.same(c.destination, { kind: 'file', path: '/tmp/endpoints.yaml' });
  t.equal(c.identity.disabled, true);
  t.equal(c.logLevel, 'debug');
});

t.test('a bad value names the variable and the accepted form', async (t) => {
  const cases: [string, string, RegExp][] = [
    [ENV.outboundConnectTimeout, '10', /WEFT_PROXY_OUTBOUND_CONNECT_TIMEOUT="10" is not valid: expected a number with a unit/],
    [ENV.inboundListenAddr, 'nope', /WEFT_PROXY_INBOUND_LISTEN_ADDR="nope" is not valid: expected host:port/],
    [ENV.log, 'loud', /WEFT_PROXY_LOG="loud" is not valid: expected one of trace, debug/],
    [ENV.identityDisabled, 'yes', /expected true or false/],
    [ENV.outboundOpaquePorts, '25,abc', /expected a comma-separated list of ports/],
  ];
  for (const [name, value, message] of cases) {
    t.throws(() => loadConfig({ [name]: value }), { name: 'UsageError', message }, name);
  }
  t.throws(() => loadConfig({ [ENV.destinationFile]: 'f', [ENV.destinationSvcAddr]: 'x:1' }), UsageError, 'only one discovery source');
});

t.test('port lists take single ports and ranges, and refuse nonsense', async (t) => {
  t.same([...parsePortList('25, 587 ,1-3')!], [25, 587, 1, 2, 3]);
  for (const bad of ['0', '70000', '5-1', 'a', '1,,2', '']) t.equal(parsePortList(bad), undefined, bad);
});

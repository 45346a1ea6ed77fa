// allowedPort(): the one decision behind every port inbound connects to, whether a peer's transport header or
// a client's original destination named it.
import t from 'tap';
import { allowedPort, describeRefusal, InboundPortPolicy, PortDecision, ProxyPortName } from '../../../../proxy/inbound/allowed-port';

// Bound ports as a test would have them (listening on 0), and tap's configured default.
const proxyPorts = new Map<number, ProxyPortName>([
  [41043, 'inbound'],
  [41040, 'outbound'],
  [41091, 'admin'],
  [4190, 'tap'],
]);
const anyAppPort: InboundPortPolicy = { proxyPorts, appPorts: new Set() };
const declared: InboundPortPolicy = { proxyPorts, appPorts: new Set([8080, 9090]) };

t.test('without WEFT_PROXY_INBOUND_PORTS: every port but the proxy own', async (t) => {
  const cases: [string, number, PortDecision][] = [
    ['an app port', 8080, { kind: 'allowed' }],
    ['a low port', 1, { kind: 'allowed' }],
    ['the highest port', 65535, { kind: 'allowed' }],
    ['the default inbound port when another is bound (not ours here)', 4143, { kind: 'allowed' }],
    ['inbound itself (a loop)', 41043, { kind: 'refused', reason: 'proxy_port', proxyPort: 'inbound' }],
    ['outbound (identity laundering)', 41040, { kind: 'refused', reason: 'proxy_port', proxyPort: 'outbound' }],
    ['admin (POST /shutdown from loopback)', 41091, { kind: 'refused', reason: 'proxy_port', proxyPort: 'admin' }],
    ['tap, though nothing listens there yet', 4190, { kind: 'refused', reason: 'proxy_port', proxyPort: 'tap' }],
  ];
  for (const [name, port, expected] of cases) t.same(allowedPort(port, anyAppPort), expected, name);
});

t.test('with WEFT_PROXY_INBOUND_PORTS: only the listed ports', async (t) => {
  t.same(allowedPort(8080, declared), { kind: 'allowed' }, 'a listed port');
  t.same(allowedPort(9090, declared), { kind: 'allowed' }, 'another listed port');
  t.same(allowedPort(8081, declared), { kind: 'refused', reason: 'not_an_inbound_port' }, 'an unlisted port');
  t.same(allowedPort(41091, declared), { kind: 'refused', reason: 'proxy_port', proxyPort: 'admin' }, 'a proxy port, unlisted');
});

t.test("the proxy's own ports are refused even when INBOUND_PORTS lists them", async (t) => {
  const misconfigured: InboundPortPolicy = { proxyPorts, appPorts: new Set([8080, 41040, 41043]) };
  t.same(allowedPort(41040, misconfigured), { kind: 'refused', reason: 'proxy_port', proxyPort: 'outbound' });
  t.same(allowedPort(41043, misconfigured), { kind: 'refused', reason: 'proxy_port', proxyPort: 'inbound' });
  t.same(allowedPort(8080, misconfigured), { kind: 'allowed' });
});

t.test('the ports are read at each call, so ports bound after start-up count', async (t) => {
  const growing = new Map<number, ProxyPortName>();
  const policy: InboundPortPolicy = { proxyPorts: growing, appPorts: new Set() };
  t.same(allowedPort(50000, policy), { kind: 'allowed' }, 'before the listener binds');
  growing.set(50000, 'admin');
  t.same(allowedPort(50000, policy), { kind: 'refused', reason: 'proxy_port', proxyPort: 'admin' }, 'after');
});

t.test('refusals are described for people', async (t) => {
  t.equal(describeRefusal(41091, { kind: 'refused', reason: 'proxy_port', proxyPort: 'admin' }), "port 41091 is this proxy's own admin port");
  t.equal(describeRefusal(8081, { kind: 'refused', reason: 'not_an_inbound_port' }), "port 8081 is not one of the app's ports (WEFT_PROXY_INBOUND_PORTS)");
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
  const endpointsFile = path.join(t.testdir({ 'endpoints.yaml': 'services: []\n' }), 'endpoints.yaml');
  const c = loadConfig({
    [ENV.outboundListenAddr]: '127.0.0.1:0',
    [ENV.inboundListenAddr]: '[::1]:9',
    [ENV.detectProtocolTimeout]: '250ms',
    [ENV.shutdownGracePeriod]: '1m',
    [ENV.inboundOpaquePorts]: '7000,8000-8002',
    [ENV.destinationFile]: endpointsFile,
    [ENV.identityDisabled]: 'TRUE',
    [ENV.log]: 'debug',
    [ENV.inboundPorts]: '8080,9000',
    [ENV.httpMaxHeaders]: '50',
    [ENV.http2MaxConcurrentStreams]: '1000',
    [ENV.idleCacheTimeout]: '1m',
  });
  t.same([...c.inboundPorts], [8080, 9000]);
  t.equal(c.httpMaxHeaders, 50);
  t.equal(c.http2MaxConcurrentStreams, 1000);
  t.equal(c.idleCacheTimeoutMs, 60_000);
  t.same(c.outboundAddr, { host: '127.0.0.1', port: 0 });
  t.same(c.inboundAddr, { host: '::1', port: 9 });
  t.equal(c.detectProtocolTimeoutMs, 250);
  t.equal(c.shutdownGracePeriodMs, 60_000);
  t.same([...c.inboundOpaquePorts], [7000, 8000, 8001, 8002]);
  t.same(c.destination, { kind: 'file', path: endpointsFile });
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

t.test('values that would break a protection or a timer stop start-up', async (t) => {
  const cases: [string, string, RegExp][] = [
    [ENV.outboundConnectTimeout, '0ms', /WEFT_PROXY_OUTBOUND_CONNECT_TIMEOUT="0ms" is not valid: .*above zero/],
    [ENV.detectProtocolTimeout, '0s', /WEFT_PROXY_DETECT_PROTOCOL_TIMEOUT="0s" is not valid/],
    [ENV.httpHeaderTimeout, '0s', /WEFT_PROXY_HTTP_HEADER_TIMEOUT="0s" is not valid/],
    [ENV.idleCacheTimeout, '0s', /WEFT_PROXY_IDLE_CACHE_TIMEOUT="0s" is not valid/],
    [ENV.shutdownGracePeriod, '600h', /WEFT_PROXY_SHUTDOWN_GRACE_PERIOD="600h" is not valid: .*at most 2147483647ms/],
    [ENV.httpMaxHeaders, '0', /WEFT_PROXY_HTTP_MAX_HEADERS="0" is not valid: expected a whole number from 1/],
    [ENV.http2MaxConcurrentStreams, '-5', /WEFT_PROXY_HTTP2_MAX_CONCURRENT_STREAMS="-5" is not valid/],
    [ENV.inboundPorts, '80,x', /WEFT_PROXY_INBOUND_PORTS="80,x" is not valid/],
  ];
  for (const [name, value, message] of cases) t.throws(() => loadConfig({ [name]: value }), { name: 'UsageError', message }, `${name}=${value}`);
  t.equal(loadConfig({ [ENV.shutdownGracePeriod]: '0s' }).shutdownGracePeriodMs, 0, 'a zero grace period only means: cut at once');
  t.throws(
    () => loadConfig({ [ENV.destinationSvcAddr]: '127.0.0.1:8086', [ENV.destinationContext]: '{ns:demo}' }),
    { name: 'UsageError', message: /WEFT_PROXY_DESTINATION_CONTEXT="\{ns:demo\}" is not valid: expected JSON/ },
  );
  const withContext = { [ENV.identityDisabled]: 'true', [ENV.destinationSvcAddr]: '127.0.0.1:8086', [ENV.destinationContext]: '{"ns":"demo"}' };
  t.equal((loadConfig(withContext).destination as { contextToken: string }).contextToken, '{"ns":"demo"}');
});

t.test('the control plane is reached over TLS for the names it must prove; plaintext only when identity is off', async (t) => {
  const anchors = '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n';
  const meshed = {
    [ENV.identitySvcAddr]: 'weft-identity.weft.svc.cluster.local:8080',
    [ENV.identityLocalName]: 'web.shop.serviceaccount.identity.mesh.example.org',
    [ENV.identityTrustAnchors]: anchors,
    [ENV.destinationSvcAddr]: 'weft-dst.weft.svc.cluster.local:8086',
  };
  const derived = loadConfig(meshed);
  t.equal(derived.identity.svcName, 'weft-identity.mesh.serviceaccount.identity.mesh.example.org', 'unset: the identity name beside the proxy own (its control-plane namespace and trust domain)');
  t.match(derived.destination, { kind: 'grpc', tls: { kind: 'tls', name: 'weft-destination.mesh.serviceaccount.identity.mesh.example.org', trustAnchorsPem: anchors.trim() } });

  const named = loadConfig({ ...meshed, [ENV.identitySvcName]: 'id.example', [ENV.destinationSvcName]: 'dst.example' });
  t.equal(named.identity.svcName, 'id.example', 'the injector names them');
  t.match(named.destination, { tls: { kind: 'tls', name: 'dst.example' } });

  const disabled = { [ENV.identityDisabled]: 'true', [ENV.destinationSvcAddr]: '127.0.0.1:8086' };
  t.match(loadConfig(disabled).destination, { tls: { kind: 'plaintext', why: /WEFT_PROXY_IDENTITY_DISABLED=true and no WEFT_PROXY_DESTINATION_SVC_NAME/ } }, 'plaintext only when identity is disabled and no name is given');
  t.match(loadConfig({ ...disabled, [ENV.destinationSvcName]: 'dst.example', [ENV.identityTrustAnchors]: anchors }).destination, { tls: { kind: 'tls', name: 'dst.example' } }, 'a name means TLS even with identity disabled');
  t.throws(() => loadConfig({ ...disabled, [ENV.destinationSvcName]: 'dst.example' }), { name: 'UsageError', message: /WEFT_PROXY_DESTINATION_SVC_NAME needs WEFT_PROXY_IDENTITY_TRUST_ANCHORS/ });
  t.throws(
    () => loadConfig({ [ENV.destinationSvcAddr]: '127.0.0.1:8086', [ENV.identityLocalName]: 'web' }),
    { name: 'UsageError', message: /WEFT_PROXY_DESTINATION_SVC_NAME is needed: .* cannot be derived from WEFT_PROXY_IDENTITY_LOCAL_NAME="web"/ },
    'never plaintext by accident: identity on and no name to verify is an error',
  );
});

t.test('the destination file must be a regular file of at most 16 MiB', async (t) => {
  const dir = t.testdir({ 'small.yaml': 'services: []\n' });
  const big = path.join(dir, 'big.yaml');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 16 * 1024 * 1024 + 1);
  t.throws(() => loadConfig({ [ENV.destinationFile]: dir }), { name: 'UsageError', message: /WEFT_PROXY_DESTINATION_FILE=".*" is not a regular file/ });
  t.throws(() => loadConfig({ [ENV.destinationFile]: big }), { name: 'UsageError', message: /is 16777217 bytes: at most 16777216/ });
  t.throws(() => loadConfig({ [ENV.destinationFile]: path.join(os.tmpdir(), 'weft-no-such-file.yaml') }), { name: 'UsageError', message: /cannot be read: ENOENT/ });
  t.equal(loadConfig({ [ENV.destinationFile]: path.join(dir, 'small.yaml') }).destination.kind, 'file');
});

t.test('port lists take single ports and ranges, and refuse nonsense', async (t) => {
  t.same([...parsePortList('25, 587 ,1-3')!], [25, 587, 1, 2, 3]);
  for (const bad of ['0', '70000', '5-1', 'a', '1,,2', '']) t.equal(parsePortList(bad), undefined, bad);
});

import t from 'tap';
import { UsageError } from '../../../../common/errors';
import { parseInitArgs } from '../../../../proxy/init/options';

const options = (...argv: string[]) => {
  const parsed = parseInitArgs(argv);
  if (parsed.help) throw new Error('expected options, got --help');
  return parsed.options;
};

t.test('defaults come from the contract: 4143 in, 4140 out, UID 2102, the proxy ports 4190/4191 ignored', async (t) => {
  t.match(options(), {
    incomingProxyPort: 4143,
    outgoingProxyPort: 4140,
    proxyUid: 2102,
    inboundPortsToIgnore: [{ first: 4190, last: 4190 }, { first: 4191, last: 4191 }],
    outboundPortsToIgnore: [],
    subnetsToIgnore: [],
    dryRun: false,
    iptablesMode: 'auto',
    iptablesBin: undefined,
  });
});

t.test('flags override the defaults; port lists take commas, ranges and repeats', async (t) => {
  const parsed = options(
    '--incoming-proxy-port', '5143', '--outgoing-proxy-port=5140', '--proxy-uid', '0',
    '--inbound-ports-to-ignore', '22, 8000-8010', '--inbound-ports-to-ignore', '9000',
    '--outbound-ports-to-ignore', '25,3306', '--dry-run', '--iptables-bin', '/sbin/iptables-legacy',
    '--subnets-to-ignore', '10.96.0.0/12, 192.168.1.7', '--subnets-to-ignore', '0.0.0.0/0',
  );
  t.match(parsed, { incomingProxyPort: 5143, outgoingProxyPort: 5140, proxyUid: 0, dryRun: true, iptablesBin: '/sbin/iptables-legacy' });
  t.same(parsed.subnetsToIgnore, ['10.96.0.0/12', '192.168.1.7/32', '0.0.0.0/0'], 'a bare address is one host');
  t.same(parsed.inboundPortsToIgnore.slice(2), [{ first: 22, last: 22 }, { first: 8000, last: 8010 }, { first: 9000, last: 9000 }]);
  t.same(parsed.outboundPortsToIgnore, [{ first: 25, last: 25 }, { first: 3306, last: 3306 }]);
});

t.test('the proxy ports the injector passes again are listed once (the summary line reads each port once)', async (t) => {
  t.same(options('--inbound-ports-to-ignore', '4190,4191,22').inboundPortsToIgnore, [
    { first: 4190, last: 4190 }, { first: 4191, last: 4191 }, { first: 22, last: 22 },
  ]);
});

t.test('--iptables-mode picks a backend', async (t) => {
  t.equal(options('--iptables-mode', 'legacy').iptablesMode, 'legacy');
  t.equal(options('--iptables-mode=nft').iptablesMode, 'nft');
});

t.test('--help asks for the usage text', async (t) => {
  t.same(parseInitArgs(['--help']), { help: true });
});

t.test('bad input is a usage error that names the flag and the accepted form', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--incoming-proxy-port', '0'], /--incoming-proxy-port: "0" is not a port; use a number from 1 to 65535/],
    [['--outgoing-proxy-port', '70000'], /--outgoing-proxy-port: "70000" is not a port/],
    [['--proxy-uid', '-1'], /--proxy-uid/],
    [['--inbound-ports-to-ignore', '22,ssh'], /--inbound-ports-to-ignore: "ssh" is not a port/],
    [['--outbound-ports-to-ignore', '90-80'], /range "90-80" runs backwards/],
    [['--subnets-to-ignore', '10.0.0.0/33'], /--subnets-to-ignore: "10.0.0.0\/33" is not an IPv4 subnet; write it as 10\.0\.0\.0\/8/],
    [['--subnets-to-ignore', '10.0.0/8'], /"10.0.0\/8" is not an IPv4 subnet/],
    [['--subnets-to-ignore', '10.0.0.0/8/1'], /is not an IPv4 subnet/],
    [['--subnets-to-ignore', 'fd00::/8'], /"fd00::\/8" is IPv6; weft-proxy-init writes IPv4 rules only/],
    [['--iptables-mode', 'iptables'], /--iptables-mode: "iptables" is not a mode; use auto, nft, legacy/],
    [['--iptables-mode', 'nft', '--iptables-bin', 'x'], /pass one of them/],
    [['--no-such-flag'], /Unknown option '--no-such-flag'; see weft-proxy-init --help/],
    [['stray'], /see weft-proxy-init --help/],
  ];
  for (const [argv, message] of cases) {
    t.throws(() => parseInitArgs(argv), { name: UsageError.name, message }, argv.join(' '));
  }
});

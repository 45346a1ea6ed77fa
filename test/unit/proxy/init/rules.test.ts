import t from 'tap';
import { iptablesPlan, multiportGroups, OUTPUT_CHAIN, PortSpec, REDIRECT_CHAIN, RuleOptions } from '../../../../proxy/init/rules';

const port = (n: number): PortSpec => ({ first: n, last: n });
const defaults: RuleOptions = {
  incomingProxyPort: 4143,
  outgoingProxyPort: 4140,
  proxyUid: 2102,
  inboundPortsToIgnore: [port(4190), port(4191)],
  outboundPortsToIgnore: [],
};
const rules = (options: RuleOptions) => iptablesPlan(options).filter((s) => !s.cleanup).map((s) => s.args.join(' '));
const withoutComments = (line: string) => line.replace(/ -m comment --comment \S+/, '');

t.test('the default plan redirects inbound to 4143 and outbound to 4140, exempting the proxy and loopback', async (t) => {
  t.same(rules(defaults).map(withoutComments), [
    `-N ${REDIRECT_CHAIN}`,
    `-A ${REDIRECT_CHAIN} -p tcp -m multiport --dports 4190,4191 -j RETURN`,
    `-A ${REDIRECT_CHAIN} -p tcp -j REDIRECT --to-port 4143`,
    `-A PREROUTING -j ${REDIRECT_CHAIN}`,
    `-N ${OUTPUT_CHAIN}`,
    `-A ${OUTPUT_CHAIN} -m owner --uid-owner 2102 -j RETURN`,
    `-A ${OUTPUT_CHAIN} -o lo -j RETURN`,
    `-A ${OUTPUT_CHAIN} -p tcp -j REDIRECT --to-port 4140`,
    `-A OUTPUT -j ${OUTPUT_CHAIN}`,
  ]);
});

t.test('every rule carries a weft-proxy-init comment so iptables -S says who wrote it', async (t) => {
  const appends = iptablesPlan(defaults).filter((s) => s.args[0] === '-A');
  t.ok(appends.every((s) => /^weft-proxy-init\//.test(s.args[s.args.indexOf('--comment') + 1])));
});

t.test('a re-run first removes both chains and the exact jumps it installed', async (t) => {
  const plan = iptablesPlan(defaults);
  const cleanup = plan.filter((s) => s.cleanup);
  t.same(cleanup.map((s) => s.args.slice(0, 2).join(' ')), [
    '-D PREROUTING', `-F ${REDIRECT_CHAIN}`, `-X ${REDIRECT_CHAIN}`,
    '-D OUTPUT', `-F ${OUTPUT_CHAIN}`, `-X ${OUTPUT_CHAIN}`,
  ]);
  t.ok(plan.slice(0, cleanup.length).every((s) => s.cleanup), 'cleanup comes before any new rule');
  for (const parent of ['PREROUTING', 'OUTPUT']) {
    const deleted = plan.find((s) => s.args[0] === '-D' && s.args[1] === parent)!.args.slice(1);
    const added = plan.find((s) => s.args[0] === '-A' && s.args[1] === parent)!.args.slice(1);
    t.same(deleted, added, `-D ${parent} names the same rule as -A, or iptables would not find it`);
  }
});

t.test('the proxy UID exemption comes before any REDIRECT in the output chain', async (t) => {
  const output = rules({ ...defaults, proxyUid: 999, outboundPortsToIgnore: [port(25)] }).filter((r) => r.startsWith(`-A ${OUTPUT_CHAIN}`));
  t.match(output[0], /--uid-owner 999 .*-j RETURN/);
  t.match(output.at(-1)!, /-j REDIRECT --to-port 4140/);
  t.ok(output.some((r) => /--dports 25 -j RETURN/.test(r)));
});

t.test('ignored ports and custom proxy ports land in the rules', async (t) => {
  const custom = rules({
    ...defaults,
    incomingProxyPort: 5143,
    outgoingProxyPort: 5140,
    inboundPortsToIgnore: [port(22), { first: 8000, last: 8010 }],
    outboundPortsToIgnore: [port(3306)],
  });
  t.ok(custom.includes(`-A ${REDIRECT_CHAIN} -p tcp -m multiport --dports 22,8000:8010 -j RETURN -m comment --comment weft-proxy-init/ignore-port-22,8000-8010`));
  t.ok(custom.some((r) => r.startsWith(`-A ${REDIRECT_CHAIN} -p tcp -j REDIRECT --to-port 5143`)));
  t.ok(custom.some((r) => r.startsWith(`-A ${OUTPUT_CHAIN} -p tcp -m multiport --dports 3306 -j RETURN`)));
  t.ok(custom.some((r) => r.startsWith(`-A ${OUTPUT_CHAIN} -p tcp -j REDIRECT --to-port 5140`)));
});

t.test('multiport groups hold at most 15 ports, a range counting as two, without duplicates', async (t) => {
  t.same(multiportGroups([]), []);
  t.same(multiportGroups([port(1), port(1), port(2)]), ['1,2']);
  const seventeen = Array.from({ length: 17 }, (_, i) => port(i + 1));
  t.same(multiportGroups(seventeen), ['1,2,3,4,5,6,7,8,9,10,11,12,13,14,15', '16,17']);
  const ranges = Array.from({ length: 8 }, (_, i) => ({ first: i * 10 + 1, last: i * 10 + 5 }));
  const groups = multiportGroups(ranges);
  t.equal(groups.length, 2, 'eight ranges weigh 16: two groups');
  t.equal(groups[0].split(',').length, 7);
});

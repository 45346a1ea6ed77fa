import t from 'tap';
import { parseNatListing } from '../../../../proxy/init/nat-table';
import { iptablesPlan, multiportGroups, OUTPUT_CHAIN, PortSpec, REDIRECT_CHAIN, RuleOptions } from '../../../../proxy/init/rules';

const port = (n: number): PortSpec => ({ first: n, last: n });
const defaults: RuleOptions = {
  incomingProxyPort: 4143,
  outgoingProxyPort: 4140,
  proxyUid: 2102,
  inboundPortsToIgnore: [port(4190), port(4191)],
  outboundPortsToIgnore: [],
  subnetsToIgnore: [],
};
const lines = (steps: ReturnType<typeof iptablesPlan>) => steps.map((step) => step.join(' '));
const withoutComments = (line: string) => line.replace(/ -m comment --comment \S+/, '');

t.test('on a fresh pod: inbound to 4143 and outbound to 4140, exempting the proxy and loopback', async (t) => {
  t.same(lines(iptablesPlan(defaults)).map(withoutComments), [
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

t.test('every appended rule carries a weft-proxy-init comment so iptables -S says who wrote it', async (t) => {
  const appends = iptablesPlan(defaults).filter((step) => step[0] === '-A');
  t.ok(appends.every((step) => /^weft-proxy-init\//.test(step[step.indexOf('--comment') + 1])));
});

// What `iptables-legacy -t nat -S` prints after a first run (legacy puts the comment match before the target).
const AFTER_FIRST_RUN = `-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N PROXY_INIT_OUTPUT
-N PROXY_INIT_REDIRECT
-A PREROUTING -m comment --comment "weft-proxy-init/install-proxy-init-prerouting" -j PROXY_INIT_REDIRECT
-A OUTPUT -m comment --comment "weft-proxy-init/install-proxy-init-output" -j PROXY_INIT_OUTPUT
-A PROXY_INIT_OUTPUT -m owner --uid-owner 2102 -m comment --comment "weft-proxy-init/ignore-proxy-user-id" -j RETURN
-A PROXY_INIT_REDIRECT -p tcp -m multiport --dports 4190,4191 -m comment --comment "weft-proxy-init/ignore-port-4190,4191" -j RETURN
`;

t.test('a re-run flushes its chains instead of creating them, and keeps the jumps it finds', async (t) => {
  const rerun = lines(iptablesPlan(defaults, parseNatListing(AFTER_FIRST_RUN)));
  const fresh = lines(iptablesPlan(defaults));
  t.same(rerun.filter((l) => !l.startsWith('-A PREROUTING') && !l.startsWith('-A OUTPUT ')), fresh
    .filter((l) => !l.startsWith('-A PREROUTING') && !l.startsWith('-A OUTPUT '))
    .map((l) => l.replace(/^-N /, '-F ')), 'the same chain rules, after -F instead of -N');
  t.notOk(rerun.some((l) => /^-A (PREROUTING|OUTPUT) /.test(l)), 'no second jump');
  t.notOk(rerun.some((l) => l.startsWith('-D ')), 'nothing to delete');
});

t.test('a half-done run (chain made, no jump yet) gets its chain flushed and its jump added', async (t) => {
  const halfDone = parseNatListing('-P PREROUTING ACCEPT\n-N PROXY_INIT_REDIRECT\n-A PROXY_INIT_REDIRECT -p tcp -j RETURN\n');
  const plan = lines(iptablesPlan(defaults, halfDone));
  t.equal(plan[0], `-F ${REDIRECT_CHAIN}`);
  t.ok(plan.includes(`-N ${OUTPUT_CHAIN}`), 'the missing chain is created');
  t.ok(plan.some((l) => l.startsWith(`-A PREROUTING -j ${REDIRECT_CHAIN}`)));
  t.ok(plan.some((l) => l.startsWith(`-A OUTPUT -j ${OUTPUT_CHAIN}`)));
});

t.test('duplicate jumps (two runs raced) are deleted down to one, highest rule number first', async (t) => {
  const raced = parseNatListing(`-N PROXY_INIT_OUTPUT
-A OUTPUT -j PROXY_INIT_OUTPUT
-A OUTPUT -p udp -j RETURN
-A OUTPUT -j PROXY_INIT_OUTPUT -m comment --comment "weft-proxy-init/install-proxy-init-output"
-A OUTPUT -m comment --comment "x" -j PROXY_INIT_OUTPUT
-A OUTPUT -j PROXY_INIT_OUTPUT_OTHER
`);
  const outputSteps = lines(iptablesPlan(defaults, raced)).filter((l) => / OUTPUT( |$)/.test(l));
  t.same(outputSteps, ['-D OUTPUT 4', '-D OUTPUT 3'], 'rules 3 and 4 go; rule 1 stays; another chain of a similar name is not ours');
});

t.test('the proxy UID exemption comes before any REDIRECT in the output chain', async (t) => {
  const output = lines(iptablesPlan({ ...defaults, proxyUid: 999, outboundPortsToIgnore: [port(25)] })).filter((r) => r.startsWith(`-A ${OUTPUT_CHAIN}`));
  t.match(output[0], /--uid-owner 999 .*-j RETURN/);
  t.match(output.at(-1)!, /-j REDIRECT --to-port 4140/);
  t.ok(output.some((r) => /--dports 25 -j RETURN/.test(r)));
});

t.test('ignored ports and custom proxy ports land in the rules', async (t) => {
  const custom = lines(iptablesPlan({
    ...defaults,
    incomingProxyPort: 5143,
    outgoingProxyPort: 5140,
    inboundPortsToIgnore: [port(22), { first: 8000, last: 8010 }],
    outboundPortsToIgnore: [port(3306)],
  }));
  t.ok(custom.includes(`-A ${REDIRECT_CHAIN} -p tcp -m multiport --dports 22,8000:8010 -j RETURN -m comment --comment weft-proxy-init/ignore-port-22,8000-8010`));
  t.ok(custom.some((r) => r.startsWith(`-A ${REDIRECT_CHAIN} -p tcp -j REDIRECT --to-port 5143`)));
  t.ok(custom.some((r) => r.startsWith(`-A ${OUTPUT_CHAIN} -p tcp -m multiport --dports 3306 -j RETURN`)));
  t.ok(custom.some((r) => r.startsWith(`-A ${OUTPUT_CHAIN} -p tcp -j REDIRECT --to-port 5140`)));
});

t.test('ignored subnets return before the REDIRECT: by source inbound, by destination outbound', async (t) => {
  const plan = lines(iptablesPlan({ ...defaults, subnetsToIgnore: ['10.96.0.0/12', '192.168.1.7/32'] })).map(withoutComments);
  const chain = (name: string) => plan.filter((l) => l.startsWith(`-A ${name} `)).map((l) => l.slice(`-A ${name} `.length));
  t.same(chain(REDIRECT_CHAIN).slice(1), ['-s 10.96.0.0/12 -j RETURN', '-s 192.168.1.7/32 -j RETURN', '-p tcp -j REDIRECT --to-port 4143']);
  t.same(chain(OUTPUT_CHAIN).slice(2), ['-d 10.96.0.0/12 -j RETURN', '-d 192.168.1.7/32 -j RETURN', '-p tcp -j REDIRECT --to-port 4140']);
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

import t from 'tap';
import { jumpRuleNumbers, parseNatListing, ruleCount } from '../../../../proxy/init/nat-table';

t.test('chains, rules in order, and warnings skipped', async (t) => {
  const table = parseNatListing(`# Warning: iptables-legacy tables present, use iptables-legacy to see them
-P PREROUTING ACCEPT
-N MINE
-A PREROUTING -j MINE
-A PREROUTING -p udp  -j RETURN
`);
  t.same([...table.chains], ['MINE']);
  t.same(table.rules.get('PREROUTING'), ['-j MINE', '-p udp -j RETURN']);
  t.equal(ruleCount(table), 3, 'one chain and two rules; the policy line does not count');
  t.same(jumpRuleNumbers(table, 'PREROUTING', 'MINE'), [1]);
  t.same(jumpRuleNumbers(table, 'OUTPUT', 'MINE'), []);
});

t.test('an empty or unreadable listing is an empty table', async (t) => {
  t.equal(ruleCount(parseNatListing('')), 0);
  t.equal(ruleCount(parseNatListing('garbage\n\n-A\n')), 0);
});

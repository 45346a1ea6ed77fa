import t from 'tap';
import { chooseIptables, iptablesCandidates, Probe } from '../../../../proxy/init/backend';

const EMPTY = '-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n';
const OURS = `${EMPTY}-N PROXY_INIT_REDIRECT\n-A PREROUTING -j PROXY_INIT_REDIRECT\n`;
const OTHERS = `${EMPTY}-N CNI-HOSTPORT\n-A OUTPUT -j CNI-HOSTPORT\n-A CNI-HOSTPORT -p tcp -j RETURN\n`;
const chosen = (probes: Probe[]) => {
  const choice = chooseIptables(probes);
  return choice.kind === 'chosen' ? { bin: choice.bin, reason: choice.reason } : choice;
};

t.test('candidates: nft, legacy, then plain iptables in auto mode; one binary when asked', async (t) => {
  t.same(iptablesCandidates('auto', undefined), ['iptables-nft', 'iptables-legacy', 'iptables']);
  t.same(iptablesCandidates('legacy', undefined), ['iptables-legacy']);
  t.same(iptablesCandidates('nft', undefined), ['iptables-nft']);
  t.same(iptablesCandidates('auto', '/opt/iptables'), ['/opt/iptables']);
});

t.test('the backend holding the rules of an earlier run wins, even over one holding more rules', async (t) => {
  t.match(chosen([{ bin: 'iptables-nft', listing: OTHERS + OTHERS }, { bin: 'iptables-legacy', listing: OURS }, { bin: 'iptables', listing: OTHERS }]), {
    bin: 'iptables-legacy',
    reason: /earlier run/,
  });
});

t.test('else the backend holding more rules of others', async (t) => {
  t.match(chosen([{ bin: 'iptables-nft', listing: EMPTY }, { bin: 'iptables-legacy', listing: OTHERS }]), { bin: 'iptables-legacy', reason: /holds 3 nat rules/ });
});

t.test('else the first that works, in order of preference', async (t) => {
  t.match(chosen([{ bin: 'iptables-nft', listing: EMPTY }, { bin: 'iptables-legacy', listing: EMPTY }]), { bin: 'iptables-nft' });
  t.match(chosen([{ bin: 'iptables-nft', failure: 'not found' }, { bin: 'iptables-legacy', listing: EMPTY }]), { bin: 'iptables-legacy' });
  t.match(chosen([{ bin: 'iptables-nft', failure: 'not found' }, { bin: 'iptables-legacy', failure: 'not found' }, { bin: 'iptables', listing: EMPTY }]), { bin: 'iptables' });
});

t.test('a single candidate is used as asked, whatever it holds', async (t) => {
  t.match(chosen([{ bin: 'iptables-nft', listing: EMPTY }]), { bin: 'iptables-nft', reason: 'as asked' });
});

t.test('none working: every failure, each named by its binary', async (t) => {
  t.same(chooseIptables([{ bin: 'iptables-nft', failure: 'not found' }, { bin: 'iptables-legacy', failure: "can't initialize iptables table `nat'" }]), {
    kind: 'none',
    failures: ['iptables-nft: not found', "iptables-legacy: can't initialize iptables table `nat'"],
  });
});

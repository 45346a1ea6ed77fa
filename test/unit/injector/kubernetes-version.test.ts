import t from 'tap';
import { parseKubernetesVersion, supportsNativeSidecars } from '../../../injector/kubernetes-version';

t.test("/version's answers, providers' forms included", async (t) => {
  t.same(parseKubernetesVersion({ major: '1', minor: '29' }), { major: 1, minor: 29 });
  t.same(parseKubernetesVersion({ major: '1', minor: '30+', gitVersion: 'v1.30.2-gke.1' }), { major: 1, minor: 30 });
  t.same(parseKubernetesVersion({ major: '', minor: '', gitVersion: 'v1.28.9-eks-036c24b' }), { major: 1, minor: 28 });
  t.same(parseKubernetesVersion({ gitVersion: '1.31' }), { major: 1, minor: 31 });
  t.equal(parseKubernetesVersion({ gitVersion: 'latest' }), undefined);
});

t.test('native sidecars from 1.29', async (t) => {
  t.notOk(supportsNativeSidecars(undefined));
  t.notOk(supportsNativeSidecars({ major: 1, minor: 28 }));
  t.ok(supportsNativeSidecars({ major: 1, minor: 29 }));
  t.ok(supportsNativeSidecars({ major: 2, minor: 0 }));
  t.notOk(supportsNativeSidecars({ major: 0, minor: 99 }));
});

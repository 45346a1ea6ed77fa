// uninject(apply(inject(x))) is x, for pods of every shape and both sidecar kinds; what the operator wrote stays.
import t from 'tap';
import { uninject } from '../../../injector/uninject';
import { injected, samplePod } from './helpers';

const shapes = {
  plain: samplePod(),
  'no labels': (() => {
    const pod = samplePod();
    delete pod.metadata!.labels;
    return pod;
  })(),
  'init containers and volumes': samplePod({ spec: { initContainers: [{ name: 'migrate', image: 'm' }], volumes: [{ name: 'data', emptyDir: {} }] } }),
  'server-speaks-first ports': samplePod({ spec: { containers: [{ name: 'db', image: 'pg', ports: [{ containerPort: 5432 }] }] } }),
  "the operator's opaque ports": samplePod({
    annotations: { 'config.weft.io/opaque-ports': '5432' },
    spec: { containers: [{ name: 'db', image: 'pg', ports: [{ containerPort: 5432 }] }] },
  }),
  ingress: samplePod({ annotations: { 'weft.io/inject': 'ingress' } }),
};

for (const [name, pod] of Object.entries(shapes)) {
  for (const kubernetesVersion of [undefined, { major: 1, minor: 30 }]) {
    t.test(`${name}, ${kubernetesVersion ? 'native' : 'classic'} sidecar`, async (t) => {
      const meshed = injected({ pod, kubernetesVersion }).pod;
      const { pod: back, changed } = uninject(meshed);
      t.ok(changed);
      // uninject also drops weft.io/inject, which the sample pod carries to be injected at all.
      const expected = structuredClone(pod);
      delete expected.metadata!.annotations!['weft.io/inject'];
      if (Object.keys(expected.metadata!.annotations!).length === 0) delete expected.metadata!.annotations;
      t.same(back, expected);
    });
  }
}

t.test("weft.io/inject: disabled is the operator's and stays", async (t) => {
  const pod = samplePod({ annotations: { 'weft.io/inject': 'disabled' } });
  t.same(uninject(pod), { pod, changed: false });
});

t.test('a pod without anything of weft is unchanged', async (t) => {
  const pod = samplePod();
  delete pod.metadata!.annotations;
  const { pod: out, changed } = uninject(pod);
  t.notOk(changed);
  t.same(out, pod);
});

// inject(): the patch's shape field by field (CONTRACT.md "Injection"), checked on the patched pod after
// kubernetes-models validated it; the proxy's env fed to the proxy's own config parser, weft-init's args to
// weft-proxy-init's own parser, so the patch is proven against the programs that will read it.
import { createHash } from 'node:crypto';
import t from 'tap';
import { ENV } from '../../../common/contract';
import { applyJsonPatch } from '../../../common/json-patch';
import { inject } from '../../../injector/inject';
import { parseMeshConfig } from '../../../injector/mesh-config';
import { loadConfig } from '../../../proxy/config';
import { parseInitArgs } from '../../../proxy/init/options';
import { ANCHOR, envValue, injected, MESH, namespace, resolveEnv, run, samplePod } from './helpers';

const initOptions = (args: readonly string[]) => {
  const parsed = parseInitArgs(args);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.options;
};

t.test('classic sidecar: weft-proxy is the first container, with the contract ports, probes and security context', async (t) => {
  const { pod, proxy, result } = injected({ pod: samplePod() });
  t.equal(result.sidecar, 'classic');
  t.equal(result.mode, 'enabled');
  t.same(pod.spec!.containers.map((c) => c.name), ['weft-proxy', 'web'], 'the proxy first, the app after it');
  t.equal(proxy.image, `ghcr.io/weft/proxy:${MESH.proxy.version}`);
  t.same(proxy.command, ['weft-proxy']);
  t.same(proxy.ports, [
    { name: 'weft-proxy', containerPort: 4143, protocol: 'TCP' },
    { name: 'weft-admin', containerPort: 4191, protocol: 'TCP' },
  ]);
  t.match(proxy.livenessProbe, { httpGet: { path: '/live', port: 'weft-admin' } });
  t.match(proxy.readinessProbe, { httpGet: { path: '/ready', port: 'weft-admin' } });
  t.same(proxy.securityContext, {
    runAsUser: 2102,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.same(proxy.lifecycle, { postStart: { exec: { command: ['weft-proxy', 'await', '--timeout', '2m'] } } }, 'the app waits for /ready');
  t.notOk(proxy.restartPolicy, 'not a native sidecar');
  t.notOk(proxy.resources, 'no resources unless annotated');
});

t.test("the proxy's env: fieldRefs first, then values the proxy's own config parser accepts", async (t) => {
  const { proxy } = injected({ pod: samplePod({ spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }] } }) });
  const env = proxy.env!;
  t.same(env.slice(0, 5), [
    { name: '_pod_name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: '_pod_ns', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: '_pod_ip', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: '_pod_nodeName', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    { name: '_pod_sa', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
  ]);
  const defined = new Set<string>();
  for (const variable of env) {
    for (const [, ref] of (variable.value ?? '').matchAll(/\$\(([^)]+)\)/g)) t.ok(defined.has(ref), `${variable.name} refers to $(${ref}), defined before it`);
    defined.add(variable.name);
  }
  t.equal(envValue(proxy, ENV.identityLocalName), '$(_pod_sa).$(_pod_ns).serviceaccount.identity.weft.cluster.local');
  t.equal(envValue(proxy, ENV.identityTrustAnchors), ANCHOR.certPem, 'trust anchors inline');
  t.equal(envValue(proxy, ENV.identitySvcAddr), 'weft-identity.weft.svc.cluster.local:8080');
  t.equal(envValue(proxy, ENV.identitySvcName), 'weft-identity.weft.serviceaccount.identity.weft.cluster.local');
  t.equal(envValue(proxy, ENV.destinationSvcAddr), 'weft-dst.weft.svc.cluster.local:8086');
  t.equal(envValue(proxy, ENV.destinationSvcName), 'weft-destination.weft.serviceaccount.identity.weft.cluster.local');
  t.equal(envValue(proxy, ENV.inboundPorts), '8080,9090');

  const resolved = resolveEnv(env, { name: 'web-1', namespace: 'demo', ip: '10.0.0.7', node: 'node-a', serviceAccount: 'web' });
  const config = loadConfig(resolved);
  t.match(config.identity, {
    disabled: false,
    svcAddr: { host: 'weft-identity.weft.svc.cluster.local', port: 8080 },
    localName: 'web.demo.serviceaccount.identity.weft.cluster.local',
    tokenFile: '/var/run/secrets/tokens/weft-identity-token',
    dir: '/var/run/weft/identity/end-entity',
  });
  t.match(config.destination, { kind: 'grpc', addr: { host: 'weft-dst.weft.svc.cluster.local', port: 8086 } });
  t.same(JSON.parse((config.destination as { contextToken: string }).contextToken), { ns: 'demo', nodeName: 'node-a', pod: 'web-1' });
  t.same([...config.inboundPorts], [8080, 9090]);
  t.same(config.inboundAddr, { host: '0.0.0.0', port: 4143 });
  t.same(config.adminAddr, { host: '0.0.0.0', port: 4191 });
  t.same(config.outboundAddr, { host: '127.0.0.1', port: 4140 });
});

t.test('identity volumes are mounted where the env points', async (t) => {
  const { pod, proxy } = injected({ pod: samplePod() });
  const volumes = Object.fromEntries(pod.spec!.volumes!.map((v) => [v.name, v]));
  t.same(volumes['weft-identity-end-entity'], { name: 'weft-identity-end-entity', emptyDir: { medium: 'Memory' } });
  t.same(volumes['weft-identity-token'].projected, {
    sources: [{ serviceAccountToken: { audience: 'identity.weft.io', expirationSeconds: 86400, path: 'weft-identity-token' } }],
  });
  const mounts = Object.fromEntries(proxy.volumeMounts!.map((m) => [m.name, m]));
  t.equal(envValue(proxy, ENV.identityDir), mounts['weft-identity-end-entity'].mountPath);
  t.equal(envValue(proxy, ENV.identityTokenFile), `${mounts['weft-identity-token'].mountPath}/weft-identity-token`);
  t.equal(mounts['weft-identity-token'].readOnly, true);
});

t.test("weft-init: weft-proxy-init's real flags, NET_ADMIN and NET_RAW only", async (t) => {
  const { pod, init } = injected({
    pod: samplePod({ annotations: { 'config.weft.io/skip-inbound-ports': '22, 8000-8010', 'config.weft.io/skip-outbound-ports': '25,3306' } }),
  });
  t.same(pod.spec!.initContainers!.map((c) => c.name), ['weft-init']);
  t.same(init.command, ['weft-proxy-init']);
  t.same(init.args, [
    '--incoming-proxy-port', '4143', '--outgoing-proxy-port', '4140', '--proxy-uid', '2102',
    '--inbound-ports-to-ignore', '4190,4191,22,8000-8010', '--outbound-ports-to-ignore', '25,3306',
  ]);
  const options = initOptions(init.args!);
  t.match(options, { incomingProxyPort: 4143, outgoingProxyPort: 4140, proxyUid: 2102 });
  t.same(options.inboundPortsToIgnore, [{ first: 4190, last: 4190 }, { first: 4191, last: 4191 }, { first: 22, last: 22 }, { first: 8000, last: 8010 }], 'the proxy ports once, then the skipped ones');
  t.same(options.outboundPortsToIgnore, [{ first: 25, last: 25 }, { first: 3306, last: 3306 }]);
  t.same(init.securityContext!.capabilities, { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] });
  t.match(init.securityContext, { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, seccompProfile: { type: 'RuntimeDefault' } });
  t.same(init.volumeMounts, [{ name: 'weft-proxy-init-xtables-lock', mountPath: '/run' }], 'iptables can take its lock on a read-only root');

  const plain = injected({ pod: samplePod() }).init;
  t.same(plain.args!.slice(-2), ['--inbound-ports-to-ignore', '4190,4191'], 'no --outbound-ports-to-ignore unless annotated');
});

t.test('labels and annotations of an injected pod', async (t) => {
  const { pod } = injected({ pod: samplePod(), owner: { kind: 'StatefulSet', name: 'db' } });
  t.same(pod.metadata!.labels, { app: 'web', 'weft.io/control-plane-ns': 'weft', 'weft.io/workload-ns': 'demo', 'weft.io/proxy-statefulset': 'db' });
  t.equal(pod.metadata!.annotations!['weft.io/proxy-version'], MESH.proxy.version);
  t.equal(pod.metadata!.annotations!['weft.io/trust-root-sha256'], createHash('sha256').update(ANCHOR.certPem).digest('hex'));
  t.equal(pod.metadata!.annotations!['weft.io/inject'], 'enabled', "the pod's own annotations stay");

  const bare = injected({ pod: samplePod(), owner: undefined }).pod;
  t.notOk(Object.keys(bare.metadata!.labels!).some((l) => l.startsWith('weft.io/proxy-')), 'a pod without a workload gets no proxy-<kind> label');
  const custom = injected({ pod: samplePod(), owner: { kind: 'Rollout', name: 'web' } }).pod;
  t.notOk(Object.keys(custom.metadata!.labels!).some((l) => l.startsWith('weft.io/proxy-')), 'nor one owned by a kind outside the contract');
});

t.test('a pod with no labels, annotations, init containers or volumes gets them created', async (t) => {
  const pod = samplePod();
  delete pod.metadata!.labels;
  const { pod: out } = injected({ pod, namespace: namespace('demo', { 'weft.io/inject': 'enabled' }) });
  t.ok(out.metadata!.labels!['weft.io/control-plane-ns']);
  const noMeta = injected({ pod: { ...samplePod(), metadata: undefined }, namespace: namespace('demo', { 'weft.io/inject': 'enabled' }) }).pod;
  t.ok(noMeta.metadata!.annotations!['weft.io/proxy-version'], 'even without metadata');
  const existing = samplePod({ spec: { initContainers: [{ name: 'migrate', image: 'migrate' }], volumes: [{ name: 'data', emptyDir: {} }] } });
  const { pod: kept } = injected({ pod: existing });
  t.same(kept.spec!.initContainers!.map((c) => c.name), ['migrate', 'weft-init'], "the app's init containers run before the rules (classic)");
  t.same(kept.spec!.volumes!.map((v) => v.name), ['data', 'weft-identity-end-entity', 'weft-identity-token', 'weft-proxy-init-xtables-lock']);
});

t.test('WEFT_PROXY_INBOUND_PORTS: the TCP ports the containers declare, never the proxy\'s own', async (t) => {
  const { proxy, result } = injected({
    pod: samplePod({
      spec: {
        containers: [
          { name: 'web', image: 'nginx', ports: [{ containerPort: 8080 }, { containerPort: 4191 }, { containerPort: 53, protocol: 'UDP' }] },
          { name: 'metrics', image: 'exporter', ports: [{ containerPort: 9100 }, { containerPort: 8080 }, { containerPort: 4143 }] },
        ],
        initContainers: [{ name: 'log-shipper', image: 'fluent', restartPolicy: 'Always', ports: [{ containerPort: 2020 }] }],
      },
    }),
  });
  t.equal(envValue(proxy, ENV.inboundPorts), '2020,8080,9100', "sorted, once each, the app's native sidecars included");
  t.equal(result.warnings.length, 2, 'a warning per port that collides with the proxy');
  t.match(result.warnings[0], /container port 4143 is one of the proxy's own ports/);
  const none = injected({ pod: samplePod({ spec: { containers: [{ name: 'web', image: 'nginx' }] } }) }).proxy;
  t.equal(envValue(none, ENV.inboundPorts), undefined, 'no ports declared: the variable is left out (any port)');
});

t.test('server-speaks-first ports the pod declares are annotated opaque', async (t) => {
  const ports = [{ containerPort: 5432 }, { containerPort: 8080 }, { containerPort: 3306 }];
  const { pod, proxy } = injected({ pod: samplePod({ spec: { containers: [{ name: 'db', image: 'db', ports }] } }) });
  t.equal(pod.metadata!.annotations!['config.weft.io/opaque-ports'], '3306,5432');
  t.equal(pod.metadata!.annotations!['weft.io/opaque-ports-injected'], 'true', 'uninject knows it added them');
  t.equal(envValue(proxy, ENV.inboundOpaquePorts), undefined, "the proxy's defaults already hold them");

  const own = injected({ pod: samplePod({ annotations: { 'config.weft.io/opaque-ports': '3306, 7000' }, spec: { containers: [{ name: 'db', image: 'db', ports }] } }) });
  t.equal(own.pod.metadata!.annotations!['config.weft.io/opaque-ports'], '3306, 7000', "the operator's list stays as written");
  t.notOk(own.pod.metadata!.annotations!['weft.io/opaque-ports-injected']);
  t.equal(envValue(own.proxy, ENV.inboundOpaquePorts), '3306,7000', 'and reaches the proxy');

  const plain = injected({ pod: samplePod() }).pod;
  t.notOk(plain.metadata!.annotations!['config.weft.io/opaque-ports'], 'none declared, none annotated');
});

t.test('native sidecar from Kubernetes 1.29, or when annotated', async (t) => {
  const pod = samplePod({ spec: { initContainers: [{ name: 'migrate', image: 'migrate' }] } });
  for (const version of [{ major: 1, minor: 29 }, { major: 1, minor: 31 }, { major: 2, minor: 0 }]) {
    const { result, pod: out, proxy } = injected({ pod, kubernetesVersion: version });
    t.equal(result.sidecar, 'native', `${version.major}.${version.minor}`);
    t.same(out.spec!.initContainers!.map((c) => c.name), ['weft-init', 'weft-proxy', 'migrate'], 'rules, then the proxy, then the app\'s init containers');
    t.same(out.spec!.containers.map((c) => c.name), ['web']);
    t.equal(proxy.restartPolicy, 'Always');
    t.match(proxy.startupProbe, { httpGet: { path: '/ready', port: 'weft-admin' }, periodSeconds: 1, failureThreshold: 120 });
    t.notOk(proxy.lifecycle, 'no postStart: the startup probe holds the app');
  }
  t.equal(injected({ pod, kubernetesVersion: { major: 1, minor: 28 } }).result.sidecar, 'classic', '1.28');
  t.equal(injected({ pod }).result.sidecar, 'classic', 'version unknown');
  const forcedOn = samplePod({ annotations: { 'config.weft.io/proxy-enable-native-sidecar': 'true' } });
  t.equal(injected({ pod: forcedOn, kubernetesVersion: { major: 1, minor: 28 } }).result.sidecar, 'native', 'annotated true on 1.28');
  const forcedOff = samplePod({ annotations: { 'config.weft.io/proxy-enable-native-sidecar': 'false' } });
  t.equal(injected({ pod: forcedOff, kubernetesVersion: { major: 1, minor: 30 } }).result.sidecar, 'classic', 'annotated false on 1.30');
});

t.test('proxy-await and proxy-wait-before-exit shape the classic sidecar\'s hooks', async (t) => {
  const noAwait = injected({ pod: samplePod({ annotations: { 'config.weft.io/proxy-await': 'disabled' } }) }).proxy;
  t.notOk(noAwait.lifecycle, 'await disabled: no postStart');
  const wait = injected({ pod: samplePod({ annotations: { 'config.weft.io/proxy-wait-before-exit': '15' } }) }).proxy;
  t.same(wait.lifecycle!.preStop, { exec: { command: ['sleep', '15'] } });
  t.ok(wait.lifecycle!.postStart, 'and still awaits');
  const native = injected({ pod: samplePod({ annotations: { 'config.weft.io/proxy-wait-before-exit': '15' } }), kubernetesVersion: { major: 1, minor: 30 } });
  t.notOk(native.proxy.lifecycle);
  t.match(native.result.warnings, [/proxy-wait-before-exit has no effect on a native sidecar/]);
});

t.test('resources come from the config.weft.io/proxy-* annotations, the namespace\'s too', async (t) => {
  const { proxy } = injected({
    pod: samplePod({ annotations: { 'config.weft.io/proxy-cpu-request': '100m', 'config.weft.io/proxy-memory-limit': '256Mi' } }),
    namespace: namespace('demo', { 'config.weft.io/proxy-cpu-limit': '1', 'config.weft.io/proxy-cpu-request': '50m', 'config.weft.io/proxy-log-level': 'debug' }),
  });
  t.same(proxy.resources, { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '256Mi' } }, "the pod's value wins over the namespace's");
  t.equal(envValue(proxy, ENV.log), 'debug', 'proxy-log-level');
});

t.test('ingress: the proxy routes by Host, nothing inbound is redirected', async (t) => {
  const { result, init, proxy } = injected({ pod: samplePod({ annotations: { 'weft.io/inject': 'ingress' } }) });
  t.equal(result.mode, 'ingress');
  const options = initOptions(init.args!);
  t.same(options.inboundPortsToIgnore.slice(2), [{ first: 1, last: 65535 }], 'every inbound port bypasses the proxy');
  t.same(options.outboundPortsToIgnore, [], 'every outbound connection goes through it');
  t.equal(proxy.name, 'weft-proxy');
});

t.test('idempotent: an injected pod is left as it is, and the same input gives the same patch', async (t) => {
  for (const kubernetesVersion of [undefined, { major: 1, minor: 30 }]) {
    const pod = samplePod({ spec: { containers: [{ name: 'db', image: 'db', ports: [{ containerPort: 5432 }] }] } });
    const first = injected({ pod, kubernetesVersion });
    t.same(run({ pod, kubernetesVersion }), first.result, 'deterministic');
    const again = run({ pod: first.pod, kubernetesVersion });
    t.match(again, { kind: 'skipped', reason: 'already_injected' });
  }
});

t.test('every skip reason, named', async (t) => {
  const enabled = namespace('demo', { 'weft.io/inject': 'enabled' });
  const cases: Array<[string, Parameters<typeof run>[0], string]> = [
    ['hostNetwork', { pod: samplePod({ spec: { hostNetwork: true } }) }, 'host_network'],
    ['pod disabled in an enabled namespace', { pod: samplePod({ annotations: { 'weft.io/inject': 'disabled' } }), namespace: enabled }, 'injection_disabled'],
    ['namespace disabled', { pod: { ...samplePod(), metadata: { name: 'x' } }, namespace: namespace('demo', { 'weft.io/inject': 'disabled' }) }, 'injection_disabled'],
    ['nothing enabled', { pod: { ...samplePod(), metadata: { name: 'x' } } }, 'injection_not_enabled'],
    ['kube-system, annotated', { pod: samplePod(), namespace: namespace('kube-system', { 'weft.io/inject': 'enabled' }) }, 'kube_system_namespace'],
    ['control plane', { pod: samplePod(), namespace: namespace('weft') }, 'control_plane_namespace'],
    ['custom control plane', { pod: samplePod(), namespace: namespace('mesh'), mesh: parseMeshConfig({ trustAnchorsPem: ANCHOR.certPem, controlPlaneNamespace: 'mesh' }) }, 'control_plane_namespace'],
    ['no service-account token', { pod: samplePod({ spec: { automountServiceAccountToken: false } }) }, 'no_service_account_token'],
    ['already injected', { pod: samplePod({ spec: { containers: [{ name: 'weft-proxy', image: 'x' }] } }) }, 'already_injected'],
    ['bad inject value', { pod: samplePod({ annotations: { 'weft.io/inject': 'yes' } }) }, 'invalid_config'],
    ['bad port list', { pod: samplePod({ annotations: { 'config.weft.io/skip-outbound-ports': '25,abc' } }) }, 'invalid_config'],
    ['bad quantity', { pod: samplePod({ annotations: { 'config.weft.io/proxy-memory-limit': '1 gig' } }) }, 'invalid_config'],
    ['request above limit', { pod: samplePod({ annotations: { 'config.weft.io/proxy-cpu-request': '2', 'config.weft.io/proxy-cpu-limit': '500m' } }) }, 'invalid_config'],
    ['bad wait', { pod: samplePod({ annotations: { 'config.weft.io/proxy-wait-before-exit': '-1' } }) }, 'invalid_config'],
  ];
  for (const [name, input, reason] of cases) {
    const result = run(input);
    t.equal(result.kind === 'skipped' && result.reason, reason, name);
    if (result.kind === 'skipped') t.ok(result.detail.length > 10, `${name}: ${result.detail}`);
  }
  const podWins = run({ pod: samplePod({ annotations: { 'weft.io/inject': 'enabled' } }), namespace: namespace('demo', { 'weft.io/inject': 'disabled' }) });
  t.equal(podWins.kind, 'injected', "the pod's enabled wins over its namespace's disabled");
  const bad = run({ pod: samplePod({ annotations: { 'config.weft.io/skip-outbound-ports': '25,abc', 'config.weft.io/proxy-log-level': 'loud' } }) });
  t.match(bad, { detail: /config\.weft\.io\/skip-outbound-ports: "25,abc" is not valid.*config\.weft\.io\/proxy-log-level: "loud" is not valid: expected one of trace/ }, 'every problem named');
});

t.test('the patch applies where the API server would apply it and never touches the app containers', async (t) => {
  const pod = samplePod();
  const result = inject({ pod, namespace: namespace(), mesh: MESH });
  if (result.kind !== 'injected') throw new Error(result.reason);
  t.ok(result.patch.every((op) => op.op === 'add'), 'only adds');
  t.ok(result.patch.every((op) => /^\/(spec\/(containers|initContainers|volumes)|metadata)/.test(op.path)), 'only the places the contract names');
  const out = applyJsonPatch(pod, result.patch);
  t.same(out.spec!.containers[1], pod.spec!.containers[0], 'the app container unchanged');
  t.same(pod, samplePod(), 'the input is not mutated');
});

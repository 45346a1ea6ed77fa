import t from 'tap';
import { createTrustAnchor, createIssuer, loadAuthority } from '../../../certs';
import { MeshConfigError, meshConfigFromConfigMap, parseMeshConfig, parseMeshConfigYaml } from '../../../injector/mesh-config';
import { version } from '../../../package.json';

const anchor = createTrustAnchor();

const problems = (raw: unknown): readonly string[] => {
  try {
    parseMeshConfig(raw);
  } catch (err) {
    if (err instanceof MeshConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a MeshConfigError');
};

t.test('defaults: only the trust anchors are required', async (t) => {
  t.same(parseMeshConfig({ trustAnchorsPem: anchor.certPem }), {
    trustDomain: 'cluster.local',
    clusterDomain: 'cluster.local',
    controlPlaneNamespace: 'weft',
    proxy: { image: 'ghcr.io/weft/proxy', version, logLevel: 'warn', logFormat: 'plain' },
    identity: { addr: 'weft-identity.weft.svc.cluster.local:8080', name: 'weft-identity.weft.serviceaccount.identity.weft.cluster.local' },
    destination: { addr: 'weft-dst.weft.svc.cluster.local:8086', name: 'weft-destination.weft.serviceaccount.identity.weft.cluster.local' },
    clusterNetworks: ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8'],
    trustAnchorsPem: anchor.certPem,
  });
});

t.test('the control plane names follow its namespace and domains', async (t) => {
  const config = parseMeshConfig({ trustAnchorsPem: anchor.certPem, controlPlaneNamespace: 'mesh', trustDomain: 'example.org', clusterDomain: 'k8s.internal' });
  t.same(config.identity, { addr: 'weft-identity.mesh.svc.k8s.internal:8080', name: 'weft-identity.mesh.serviceaccount.identity.mesh.example.org' });
  t.equal(config.destination.addr, 'weft-dst.mesh.svc.k8s.internal:8086');
  const explicit = parseMeshConfig({ trustAnchorsPem: anchor.certPem, destination: { addr: '10.0.0.1:9000', name: 'dst.example' } });
  t.same(explicit.destination, { addr: '10.0.0.1:9000', name: 'dst.example' });
});

t.test('every problem is named with its field and the form expected', async (t) => {
  const found = problems({
    trustDomain: 'Not A Domain',
    proxy: { image: 'ghcr.io/weft/proxy:1.0', logLevel: 'loud', colour: 'red' },
    identity: { addr: 'no-port' },
    clusterNetworks: ['10.0.0.0/8', '10.0.0.0/33', 'fd00::/129', 42],
    extra: true,
  });
  t.match(found, [
    /^extra: unknown field; the fields here are trustDomain, /,
    /^trustDomain: expected a lower-case DNS name such as cluster\.local, got "Not A Domain"$/,
    /^proxy\.colour: unknown field/,
    /^proxy\.image: expected an image repository without tag/,
    /^proxy\.logLevel: expected one of trace, debug/,
    /^identity\.addr: expected host:port/,
    /^clusterNetworks\[1\]: expected a CIDR/,
    /^clusterNetworks\[2\]: expected a CIDR/,
    /^clusterNetworks\[3\]: expected a CIDR/,
    /^trustAnchorsPem: required: the PEM text of the trust anchors/,
  ]);
  t.equal(found.length, 10);
  t.match(problems('just text'), [/expected a map of fields/]);
});

t.test('trust anchors must be CA certificates in PEM', async (t) => {
  t.match(problems({ trustAnchorsPem: 'ca.crt' }), [/trustAnchorsPem: holds no certificate/]);
  t.match(problems({ trustAnchorsPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), [/trustAnchorsPem: does not parse/]);
  const issuer = createIssuer({ anchor: loadAuthority(anchor) });
  t.ok(parseMeshConfig({ trustAnchorsPem: issuer.certPem }), 'an intermediate CA is a CA');
});

t.test('from YAML and from the ConfigMap weft-config', async (t) => {
  const yaml = `controlPlaneNamespace: weft\ntrustAnchorsPem: |\n${anchor.certPem.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`;
  t.equal(parseMeshConfigYaml(yaml, 'x').trustAnchorsPem, anchor.certPem);
  t.throws(() => parseMeshConfigYaml('proxy: [1\nb: 2\n', 'config.yaml'), /config\.yaml: YAML syntax error at line 2, column 1: /);
  const configMap = { metadata: { name: 'weft-config', namespace: 'weft' }, data: { 'config.yaml': yaml } };
  t.equal(meshConfigFromConfigMap(configMap).controlPlaneNamespace, 'weft');
  t.throws(() => meshConfigFromConfigMap({ metadata: { name: 'weft-config', namespace: 'weft' }, data: {} }), /ConfigMap weft\/weft-config: has no data key config\.yaml/);
  t.throws(() => meshConfigFromConfigMap({ data: { 'config.yaml': 'proxy: 3\n' } }), /ConfigMap weft\/weft-config key config\.yaml: proxy: expected a map, got 3/);
});

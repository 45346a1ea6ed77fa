import t from 'tap';
import { UsageError } from '../../../common/errors';
import { parseControllerArgs } from '../../../controller/options';

const noCluster = {};

t.test('roles, fact sources and addresses', async (t) => {
  t.match(parseControllerArgs(['destination', '--cluster-file', 'c.yaml', '--destination-plaintext'], noCluster), {
    help: false,
    options: { roles: ['destination'], facts: { kind: 'file', path: 'c.yaml' }, destinationAddr: { host: '0.0.0.0', port: 8086 }, adminAddr: { host: '0.0.0.0', port: 9990 }, logLevel: 'info' },
  });
  t.match(parseControllerArgs(['all', '--kubeconfig', 'k', '--destination-addr', '127.0.0.1:0', '--destination-plaintext'], noCluster), {
    options: { roles: ['destination'], facts: { kind: 'kubernetes', kubeconfig: 'k' }, destinationAddr: { host: '127.0.0.1', port: 0 } },
  }, 'all without --issuer-dir runs the roles that need nothing more');
  t.match(parseControllerArgs(['destination', '--destination-plaintext'], { KUBERNETES_SERVICE_HOST: '10.96.0.1' }), { options: { facts: { kind: 'kubernetes', kubeconfig: undefined } } }, 'in a pod: the in-cluster config');
  t.same(parseControllerArgs(['--help']), { help: true });
});

t.test('destination serves TLS with a certificate from Certify unless plaintext is asked for', async (t) => {
  const local = ['--cluster-file', 'c.yaml'];
  const optionsOf = (argv: string[]) => {
    const parsed = parseControllerArgs(argv, noCluster);
    if (parsed.help) throw new Error('not help');
    return parsed.options;
  };
  t.match(optionsOf(['destination', ...local, '--trust-anchors', 'ca.crt']), {
    destinationTls: {
      kind: 'tls',
      identitySvcAddr: { host: 'weft-identity.weft.svc.cluster.local', port: 8080 },
      tokenFile: '/var/run/secrets/tokens/weft-identity-token',
      trustAnchorsFile: 'ca.crt',
      trustDomain: 'cluster.local',
    },
  }, 'in a cluster: the identity Service and the projected token');
  t.match(optionsOf(['all', ...local, '--issuer-dir', 'd', '--trust-anchors', 'ca.crt', '--identity-token-file', 't']), { roles: ['destination', 'identity'], destinationTls: { kind: 'tls', identitySvcAddr: undefined, tokenFile: 't' } }, 'all: the identity role of the same process');
  t.match(optionsOf(['destination', ...local, '--destination-plaintext']), { destinationTls: { kind: 'plaintext' } });
  t.match(optionsOf(['identity', ...local, '--issuer-dir', 'd', '--trust-anchors', 'ca.crt']), { destinationTls: undefined }, 'identity alone needs none of it');
  t.throws(() => parseControllerArgs(['destination', ...local], noCluster), /destination serves TLS and needs --trust-anchors FILE .*or --destination-plaintext/);
  t.throws(() => parseControllerArgs(['destination', ...local, '--destination-plaintext', '--trust-domain', 'x'], noCluster), /--trust-domain configures destination's TLS, which --destination-plaintext turns off/);
  t.throws(() => parseControllerArgs(['destination', ...local, '--trust-anchors', 'a', '--identity-svc-addr', 'x'], noCluster), /--identity-svc-addr "x" is not valid/);
});

t.test('usage errors say what to do', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /expected one role/],
    [['proxy', '--cluster-file', 'f'], /unknown role "proxy"/],
    [['destination', '--destination-plaintext'], /pass --kubeconfig FILE, or --cluster-file FILE/],
    [['destination', '--kubeconfig', 'k', '--cluster-file', 'f'], /only one of --kubeconfig and --cluster-file/],
    [['destination', '--cluster-file', 'f', '--destination-plaintext', '--destination-addr', '8086'], /--destination-addr "8086" is not valid: expected host:port/],
    [['destination', '--cluster-file', 'f', '--destination-plaintext', '--log-level', 'loud'], /--log-level "loud" is not valid/],
    [['destination', '--cluster-file', 'f', '--bogus'], /Unknown option '--bogus'.*see weft-controller --help/],
  ];
  for (const [argv, message] of cases) t.throws(() => parseControllerArgs(argv, noCluster), message, argv.join(' '));
  t.throws(() => parseControllerArgs([], noCluster), UsageError);
});

t.test('the tap role: its flags, its own token, and `all` runs it only with --tap-token-file', async (t) => {
  const local = ['--cluster-file', 'f', '--trust-anchors', 'ca.crt'];
  t.match(parseControllerArgs(['tap', ...local, '--identity-svc-addr', '127.0.0.1:8080'], noCluster), {
    options: { roles: ['tap'], tap: { addr: { host: '0.0.0.0', port: 8089 }, tls: { kind: 'tls', identitySvcAddr: { port: 8080 }, tokenFile: '/var/run/secrets/tokens/weft-identity-token', trustDomain: 'cluster.local' } } },
  });
  const all = parseControllerArgs(['all', ...local, '--issuer-dir', 'i', '--token-secret-file', 's', '--identity-token-file', 'dst.token', '--tap-token-file', 'tap.token', '--tap-addr', '127.0.0.1:0'], noCluster);
  t.match(!all.help && all.options, { roles: ['destination', 'identity', 'tap'], tap: { addr: { port: 0 }, tls: { tokenFile: 'tap.token', identitySvcAddr: undefined } }, destinationTls: { tokenFile: 'dst.token' } });
  const withoutTap = parseControllerArgs(['all', ...local, '--issuer-dir', 'i', '--token-secret-file', 's'], noCluster);
  t.same(!withoutTap.help && withoutTap.options.roles, ['destination', 'identity']);
  const cases: [string[], RegExp][] = [
    [['tap', '--cluster-file', 'f'], /tap speaks mTLS to proxies and needs --trust-anchors FILE/],
    [['tap', ...local, '--tap-addr', '8089'], /--tap-addr "8089" is not valid/],
    [['all', ...local, '--tap-addr', '127.0.0.1:8089'], /--tap-addr configures the tap role, which `all` runs only with --tap-token-file FILE/],
  ];
  for (const [argv, message] of cases) t.throws(() => parseControllerArgs(argv, noCluster), message, argv.join(' '));
});

t.test('the injector role: its flags, and `all` runs it only with --injector-tls-dir', async (t) => {
  t.match(parseControllerArgs(['injector', '--kubeconfig', 'k', '--injector-tls-dir', '/tls'], noCluster), {
    options: { roles: ['injector'], injector: { addr: { host: '0.0.0.0', port: 8443 }, tlsDir: '/tls', controlPlaneNamespace: 'weft' } },
  });
  t.match(parseControllerArgs(['injector', '--kubeconfig', 'k', '--injector-tls-dir', '/tls', '--injector-addr', '127.0.0.1:0', '--control-plane-namespace', 'mesh'], noCluster), {
    options: { injector: { addr: { host: '127.0.0.1', port: 0 }, controlPlaneNamespace: 'mesh' } },
  });
  const all = parseControllerArgs(['all', '--kubeconfig', 'k', '--injector-tls-dir', '/tls', '--destination-plaintext'], noCluster);
  t.same(!all.help && all.options.roles, ['destination', 'injector']);
  const cases: [string[], RegExp][] = [
    [['injector', '--kubeconfig', 'k'], /the injector role needs --injector-tls-dir DIR/],
    [['all', '--kubeconfig', 'k', '--injector-addr', '127.0.0.1:8443'], /--injector-addr belongs to the injector role, which also needs --injector-tls-dir DIR/],
    [['injector', '--kubeconfig', 'k', '--injector-tls-dir', 'd', '--injector-addr', '8443'], /--injector-addr "8443" is not valid/],
    [['injector', '--kubeconfig', 'k', '--injector-tls-dir', 'd', '--control-plane-namespace', 'Weft'], /--control-plane-namespace "Weft" is not a namespace name/],
  ];
  for (const [argv, message] of cases) t.throws(() => parseControllerArgs(argv, noCluster), message, argv.join(' '));
});

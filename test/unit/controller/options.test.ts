import t from 'tap';
import { UsageError } from '../../../common/errors';
import { parseControllerArgs } from '../../../controller/options';

const noCluster = {};

t.test('roles, fact sources and addresses', async (t) => {
  t.match(parseControllerArgs(['destination', '--cluster-file', 'c.yaml'], noCluster), {
    help: false,
    options: { roles: ['destination'], facts: { kind: 'file', path: 'c.yaml' }, destinationAddr: { host: '0.0.0.0', port: 8086 }, adminAddr: { host: '0.0.0.0', port: 9990 }, logLevel: 'info' },
  });
  t.match(parseControllerArgs(['all', '--kubeconfig', 'k', '--destination-addr', '127.0.0.1:0'], noCluster), {
    options: { roles: ['destination'], facts: { kind: 'kubernetes', kubeconfig: 'k' }, destinationAddr: { host: '127.0.0.1', port: 0 } },
  }, 'all without --issuer-dir runs the roles that need nothing more');
  t.match(parseControllerArgs(['destination'], { KUBERNETES_SERVICE_HOST: '10.96.0.1' }), { options: { facts: { kind: 'kubernetes', kubeconfig: undefined } } }, 'in a pod: the in-cluster config');
  t.same(parseControllerArgs(['--help']), { help: true });
});

t.test('usage errors say what to do', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /expected one role/],
    [['tap', '--cluster-file', 'f'], /unknown role "tap"/],
    [['destination'], /pass --kubeconfig FILE, or --cluster-file FILE/],
    [['destination', '--kubeconfig', 'k', '--cluster-file', 'f'], /only one of --kubeconfig and --cluster-file/],
    [['destination', '--cluster-file', 'f', '--destination-addr', '8086'], /--destination-addr "8086" is not valid: expected host:port/],
    [['destination', '--cluster-file', 'f', '--log-level', 'loud'], /--log-level "loud" is not valid/],
    [['destination', '--cluster-file', 'f', '--bogus'], /Unknown option '--bogus'.*see weft-controller --help/],
  ];
  for (const [argv, message] of cases) t.throws(() => parseControllerArgs(argv, noCluster), message, argv.join(' '));
  t.throws(() => parseControllerArgs([], noCluster), UsageError);
});

t.test('the injector role: its flags, and `all` runs it only with --injector-tls-dir', async (t) => {
  t.match(parseControllerArgs(['injector', '--kubeconfig', 'k', '--injector-tls-dir', '/tls'], noCluster), {
    options: { roles: ['injector'], injector: { addr: { host: '0.0.0.0', port: 8443 }, tlsDir: '/tls', controlPlaneNamespace: 'weft' } },
  });
  t.match(parseControllerArgs(['injector', '--kubeconfig', 'k', '--injector-tls-dir', '/tls', '--injector-addr', '127.0.0.1:0', '--control-plane-namespace', 'mesh'], noCluster), {
    options: { injector: { addr: { host: '127.0.0.1', port: 0 }, controlPlaneNamespace: 'mesh' } },
  });
  const all = parseControllerArgs(['all', '--kubeconfig', 'k', '--injector-tls-dir', '/tls'], noCluster);
  t.same(!all.help && all.options.roles, ['destination', 'injector']);
  const cases: [string[], RegExp][] = [
    [['injector', '--kubeconfig', 'k'], /the injector role needs --injector-tls-dir DIR/],
    [['all', '--kubeconfig', 'k', '--injector-addr', '127.0.0.1:8443'], /--injector-addr belongs to the injector role, which also needs --injector-tls-dir DIR/],
    [['injector', '--kubeconfig', 'k', '--injector-tls-dir', 'd', '--injector-addr', '8443'], /--injector-addr "8443" is not valid/],
    [['injector', '--kubeconfig', 'k', '--injector-tls-dir', 'd', '--control-plane-namespace', 'Weft'], /--control-plane-namespace "Weft" is not a namespace name/],
  ];
  for (const [argv, message] of cases) t.throws(() => parseControllerArgs(argv, noCluster), message, argv.join(' '));
});

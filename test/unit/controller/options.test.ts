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

// Where a pod's proxy admin port (4191) is reached: --proxy-admin host:port, the pod through the Kubernetes
// API's pod proxy (--kubeconfig), or, while `weft demo` runs, the demo's proxy of that pod (or deployment).
import { Command, Option } from 'commander';
import { parseHostPort } from '../../common/address';
import { PROXY_ADMIN_ADDR } from '../../common/contract';
import { UsageError } from '../../common/errors';
import type { ViewsContext } from '../../common/views/context';
import { HttpTarget, directTarget } from '../../common/views/http-target';
import { listed } from '../../common/views/resources';
import { kubeProxyTarget, podProxyPath } from '../kube-service-proxy';
import { currentContext } from './connect';

export interface AdminOptions {
  proxyAdmin?: string;
  kubeconfig?: string;
  namespace?: string;
}

export function addAdminOptions(command: Command): Command {
  return command
    .addOption(new Option('--proxy-admin <addr>', "the proxy's admin address, host:port"))
    .addOption(new Option('--kubeconfig <file>', "reach the pod's proxy through this cluster's API server"))
    .addOption(new Option('-n, --namespace <ns>', "the pod's namespace (default: weft demo's, else default)"));
}

export async function proxyAdminTarget(pod: string, opts: AdminOptions): Promise<HttpTarget> {
  if (opts.proxyAdmin) {
    if (!parseHostPort(opts.proxyAdmin)) throw new UsageError(`--proxy-admin ${JSON.stringify(opts.proxyAdmin)} is not host:port`);
    return directTarget(`http://${opts.proxyAdmin}`, `the proxy of ${pod}`);
  }
  const context = await currentContext();
  if (opts.kubeconfig) {
    const ns = opts.namespace ?? 'default';
    const port = Number(PROXY_ADMIN_ADDR.split(':').pop());
    return kubeProxyTarget(opts.kubeconfig, podProxyPath(ns, pod, port), `the proxy of ${ns}/${pod} (through the Kubernetes API)`);
  }
  if (!context) throw new UsageError(`cannot find the proxy of ${pod}: start \`weft demo\`, or pass --proxy-admin host:port or --kubeconfig FILE`);
  return demoProxy(pod, opts.namespace ?? context.namespace, context);
}

function demoProxy(pod: string, namespace: string, context: ViewsContext): HttpTarget {
  const inNamespace = context.proxies.filter((p) => p.labels.namespace === namespace);
  const found = inNamespace.find((p) => p.labels.pod === pod) ?? inNamespace.find((p) => p.labels.deployment === pod);
  if (!found) {
    const known = inNamespace.map((p) => p.labels.pod);
    throw new Error(`no pod ${JSON.stringify(pod)} in namespace ${namespace} of weft demo; known: ${listed(known, 'and') || 'none'}`);
  }
  return directTarget(`http://${found.admin}`, `the proxy of ${found.labels.pod}`);
}

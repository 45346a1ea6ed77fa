// Where a view's data comes from, in this order: --prometheus-url (by address), --proxy-admin (the proxies'
// own /metrics, sampled now), --kubeconfig (Prometheus through the Kubernetes API's service proxy), and
// otherwise the context `weft demo` writes (its Prometheus, or its own series of the proxies' metrics).
import { Command, Option } from 'commander';
import { parseHostPort } from '../../common/address';
import { UsageError } from '../../common/errors';
import { ViewsContext, contextFile, readContext } from '../../common/views/context';
import { HttpTarget, directTarget } from '../../common/views/http-target';
import { LocalSource } from '../../common/views/local';
import { PrometheusSource } from '../../common/views/prometheus';
import { RemoteSnapshots } from '../../common/views/snapshot-server';
import { ScrapeTarget, sampleNow } from '../../common/views/snapshots';
import type { MetricsSource } from '../../common/views/source';
import { kubeProxyTarget } from '../kube-service-proxy';

/** `weft install prometheus`'s Service, reached through the Kubernetes API. */
export const CLUSTER_PROMETHEUS = { namespace: 'weft', service: 'weft-prometheus', port: 9090 };
/** How long --proxy-admin samples the proxies' counters for when there is no history to ask. */
const SAMPLE_MS = 2000;

export interface SourceOptions {
  prometheusUrl?: string;
  proxyAdmin?: string;
  kubeconfig?: string;
}

export function addSourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--prometheus-url <url>', 'read metrics from this Prometheus (e.g. http://127.0.0.1:9090)'))
    .addOption(new Option('--proxy-admin <list>', "read the proxies' own /metrics: NAME=host:port,… (NAME is the deployment and pod)"))
    .addOption(new Option('--kubeconfig <file>', `reach ${CLUSTER_PROMETHEUS.namespace}/${CLUSTER_PROMETHEUS.service}:${CLUSTER_PROMETHEUS.port} through this cluster's API server`));
}

/** The context of a running `weft demo`, if there is one. */
export function currentContext(): Promise<ViewsContext | undefined> {
  return readContext(contextFile());
}

export async function metricsSource(opts: SourceOptions, namespace: string, context?: ViewsContext): Promise<MetricsSource> {
  if (opts.prometheusUrl) return new PrometheusSource(directTarget(checkedUrl(opts.prometheusUrl), 'Prometheus'));
  if (opts.proxyAdmin) return new LocalSource(await sampleNow(adminTargets(opts.proxyAdmin, namespace), SAMPLE_MS));
  if (opts.kubeconfig) return new PrometheusSource(await serviceProxyTarget(opts.kubeconfig, CLUSTER_PROMETHEUS, 'Prometheus'));
  if (context?.prometheusUrl) return new PrometheusSource(directTarget(context.prometheusUrl, "weft demo's Prometheus"));
  if (context?.snapshotsUrl) {
    return new LocalSource(new RemoteSnapshots(directTarget(context.snapshotsUrl, 'weft demo'), `weft demo's series of its proxies' own /metrics (${context.snapshotsUrl}; no Prometheus)`));
  }
  throw new UsageError('no metrics to read: start `weft demo`, or pass --prometheus-url URL, --proxy-admin NAME=host:port or --kubeconfig FILE');
}

function checkedUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // reported below
  }
  throw new UsageError(`--prometheus-url ${JSON.stringify(text)} is not an http(s) URL, e.g. http://127.0.0.1:9090`);
}

export function adminTargets(list: string, namespace: string): ScrapeTarget[] {
  return list.split(',').map((item) => {
    const [name, addrText] = item.includes('=') ? item.split('=', 2) : [item, item];
    const addr = parseHostPort(addrText);
    if (!addr || name === '') throw new UsageError(`--proxy-admin ${JSON.stringify(item)} is not NAME=host:port (e.g. web=127.0.0.1:4191)`);
    return { url: `http://${addrText}/metrics`, labels: { namespace, deployment: name, pod: name } };
  });
}

/** An HTTP API of the cluster, through the API server's service proxy, with the kubeconfig's TLS and credentials. */
export async function serviceProxyTarget(kubeconfig: string, service: { namespace: string; service: string; port: number }, what: string): Promise<HttpTarget> {
  return kubeProxyTarget(kubeconfig, `/api/v1/namespaces/${service.namespace}/services/${service.service}:${service.port}/proxy`, `${what} (${service.namespace}/${service.service}:${service.port} through the Kubernetes API)`);
}

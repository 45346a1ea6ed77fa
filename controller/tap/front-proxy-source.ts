// The front-proxy settings as Kubernetes publishes them now: kube-system/extension-apiserver-authentication read
// at start and re-read every RELOAD_MS, so a rotated requestheader CA (or allowed names) takes effect without a
// restart. A read that fails keeps the last settings read (logged); a ConfigMap that is gone is gone.
import type { KubeConfig } from '@kubernetes/client-node';
import { Clock, systemClock } from '../../common/clock';
import { EXTENSION_APISERVER_AUTHENTICATION } from '../../common/contract';
import type { Logger } from '../../common/log';
import { FrontProxyConfig, frontProxyConfig } from './front-proxy';

/** How often the ConfigMap is read again. */
export const RELOAD_MS = 10_000;

export class FrontProxySource {
  private config: FrontProxyConfig = frontProxyConfig(undefined);
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly api: import('@kubernetes/client-node').CoreV1Api;
  private readonly client: typeof import('@kubernetes/client-node');

  constructor(
    kubeConfig: KubeConfig,
    private readonly log: Logger,
    /** Called when the CA bundle changed (the TLS server must verify with the new one). */
    private readonly onCaChange: (caPem: string | undefined) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.client = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
    this.api = kubeConfig.makeApiClient(this.client.CoreV1Api);
  }

  get current(): FrontProxyConfig {
    return this.config;
  }

  /** Reads the ConfigMap once (a failure is logged, not thrown), then keeps re-reading it. */
  async start(): Promise<void> {
    await this.read();
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => void this.read().finally(() => this.schedule()), RELOAD_MS);
  }

  private async read(): Promise<void> {
    const { namespace, configMap: name } = EXTENSION_APISERVER_AUTHENTICATION;
    let data: Record<string, string> | undefined;
    try {
      data = (await this.api.readNamespacedConfigMap({ name, namespace })).data ?? {};
    } catch (err) {
      if (!(err instanceof this.client.ApiException && err.code === 404)) {
        this.log.warn({ error: (err as Error).message }, `cannot read ConfigMap ${namespace}/${name}; keeping the front-proxy settings read before`);
        return;
      }
    }
    const next = frontProxyConfig(data);
    const previous = this.config;
    this.config = next;
    if (next.problem && next.problem !== previous.problem) this.log.warn({ problem: next.problem }, 'no front-proxy certificate is believed');
    if (next.caPem !== previous.caPem) {
      this.onCaChange(next.caPem);
      if (next.caPem) this.log.info({ allowedNames: next.allowedNames }, 'front-proxy CA loaded');
    }
  }
}

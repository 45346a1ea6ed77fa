// Facts from a local endpoints file (CONTRACT.md "Local endpoints file"): what `weft demo` and other runs
// without Kubernetes use. The file is the whole world: an authority it does not list is unknown. It is
// re-read on change; a version that does not parse is logged and the last good one stays in force.
import * as fs from 'node:fs';
import { identityAccount } from '../../common/contract';
import { EndpointsFileError, FilePod, FileService, parseEndpointsFileDocument } from '../../common/endpoints-file';
import type { Logger } from '../../common/log';
import { watchFile, FileWatch } from '../../common/watch-file';
import { parseAuthority } from '../destination/authority';
import { ChangeListener, changeKey, ClusterSource, PodInfo, Resolution, ServiceObjective, Target, targetId } from './types';

interface Facts {
  entries: Map<string, Entry>;
  pods: PodInfo[];
}

interface Entry {
  /** changeKey of the entry's target. */
  key: string;
  resolution: Resolution;
  objective?: ServiceObjective;
}

export class LocalSource implements ClusterSource {
  private entries = new Map<string, Entry>();
  private podList: PodInfo[] = [];
  private readonly listeners: ChangeListener[] = [];
  private watch?: FileWatch;

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  /** Throws when the file cannot be read or parsed now: there is no last good version yet. */
  async start(): Promise<void> {
    ({ entries: this.entries, pods: this.podList } = this.read());
    this.watch = watchFile(this.file, () => this.reload());
  }

  async stop(): Promise<void> {
    this.watch?.close();
  }

  notReadyReason(): string | undefined {
    return undefined;
  }

  resolve(target: Target): Resolution {
    return this.entries.get(targetId(target))?.resolution ?? { kind: 'unknown' };
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** One per service: entries for several ports of one service share its objective (the last one listed). */
  objectives(): ServiceObjective[] {
    const byService = new Map<string, ServiceObjective>();
    for (const { objective } of this.entries.values()) if (objective) byService.set(`${objective.namespace}/${objective.service}`, objective);
    return [...byService.values()];
  }

  pods(): readonly PodInfo[] {
    return this.podList;
  }

  private reload(): void {
    let next: Facts;
    try {
      next = this.read();
    } catch (err) {
      this.log.error({ file: this.file, error: (err as Error).message }, 'cluster file rejected; keeping the last good version');
      return;
    }
    const changed = new Set<string>();
    for (const entry of [...this.entries.values(), ...next.entries.values()]) changed.add(entry.key);
    this.entries = next.entries;
    this.podList = next.pods;
    this.log.info({ file: this.file, authorities: next.entries.size, pods: next.pods.length }, 'cluster file reloaded');
    for (const listener of this.listeners) listener(changed);
  }

  private read(): Facts {
    const { services, pods } = parseEndpointsFileDocument(fs.readFileSync(this.file, 'utf8'), this.file);
    const entries = new Map<string, Entry>();
    for (const service of services) {
      // Short names in the file mean the default namespace, as they would for a caller that sent no context.
      const target = parseAuthority(service.authority, 'default');
      const entry: Entry = { key: changeKey(target), resolution: toResolution(service, pods) };
      if (service.slo) {
        if (target.kind !== 'service') throw new EndpointsFileError(`${this.file}: ${service.authority} has an slo but names no service`);
        entry.objective = { namespace: target.namespace, service: target.name, objective: service.slo };
      }
      entries.set(targetId(target), entry);
    }
    return { entries, pods: pods.map((p) => ({ namespace: p.namespace, name: p.name, workload: p.workload, tap: { addr: p.tap, identity: p.identity } })) };
  }
}

function toResolution(service: FileService, pods: readonly FilePod[]): Resolution {
  return {
    kind: 'endpoints',
    endpoints: service.endpoints.map((e) => ({
      addr: e.addr,
      labels: { ...podLabels(pods, e.labels), ...e.labels },
      identity: e.identity,
      protocolHint: e.protocol,
      opaquePorts: [],
    })),
    policy: { retry: service.retry, timeoutMs: service.timeoutMs },
  };
}

/**
 * What the file's `pods:` entry of an endpoint's pod (its labels' namespace and pod) adds to the endpoint's
 * labels, as a cluster's pod would: its workload (`deployment: web`) and, from its identity name, its service
 * account. An endpoint's own labels say more and win.
 */
function podLabels(pods: readonly FilePod[], labels: Readonly<Record<string, string>>): Record<string, string> {
  const pod = pods.find((p) => p.name === labels.pod && p.namespace === labels.namespace);
  if (!pod) return {};
  const account = identityAccount(pod.identity);
  return { ...(pod.workload ? { [pod.workload.kind]: pod.workload.name } : {}), ...(account ? { serviceaccount: account.serviceAccount } : {}) };
}

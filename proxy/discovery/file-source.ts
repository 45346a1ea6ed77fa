// Discovery from a local endpoints file (WEFT_PROXY_DESTINATION_FILE). The file is watched; an edit that does
// not parse is logged with its line and column and the last good version stays in force.
import * as fs from 'node:fs';
import { formatHostPort } from '../../common/address';
import { FileService, parseEndpointsFile } from '../../common/endpoints-file';
import type { Logger } from '../../common/log';
import { FileWatch, watchFile } from '../../common/watch-file';
import { EndpointCensus } from './endpoint-census';
import { Discovery, Endpoint, EndpointRemoved, Service } from './types';

export class FileDiscovery implements Discovery {
  private readonly services = new Map<string, Service>();
  private readonly census = new EndpointCensus();
  private readonly watch: FileWatch;

  /** Throws when the file cannot be read or parsed at start: there is no last good version yet. */
  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    this.apply(this.read());
    this.watch = watchFile(file, () => this.reload());
  }

  resolve(authority: string): Service | undefined {
    return this.services.get(authority);
  }

  onEndpointRemoved(listener: EndpointRemoved): void {
    this.census.onRemoved(listener);
  }

  close(): void {
    this.watch.close();
  }

  private reload(): void {
    try {
      this.apply(this.read());
      this.log.info({ file: this.file, services: this.services.size }, 'endpoints file reloaded');
    } catch (err) {
      this.log.error({ file: this.file, error: (err as Error).message }, 'endpoints file rejected; keeping the last good version');
    }
  }

  private read(): FileService[] {
    return parseEndpointsFile(fs.readFileSync(this.file, 'utf8'), this.file);
  }

  /** Updates services in place so that whoever holds a Service sees the change. */
  private apply(entries: FileService[]): void {
    const seen = new Set<string>();
    for (const entry of entries) {
      seen.add(entry.authority);
      const endpoints = entry.endpoints.map(toEndpoint);
      const policy = { retry: entry.retry, timeoutMs: entry.timeoutMs };
      const existing = this.services.get(entry.authority);
      this.census.replace(existing?.endpoints ?? [], endpoints);
      if (existing) {
        existing.endpoints = endpoints;
        existing.policy = policy;
      } else {
        this.services.set(entry.authority, { authority: entry.authority, endpoints, policy });
      }
    }
    for (const [authority, service] of this.services) {
      if (seen.has(authority)) continue;
      this.census.replace(service.endpoints, []);
      service.endpoints = [];
      this.services.delete(authority);
    }
    this.census.flush();
  }
}

function toEndpoint(e: FileService['endpoints'][number]): Endpoint {
  return { addr: e.addr, key: formatHostPort(e.addr), identity: e.identity, protocolHint: e.protocol, labels: e.labels };
}

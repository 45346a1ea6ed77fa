// `host:port` addresses as written in env, flags and endpoint files. IPv6 hosts use brackets: `[::1]:4140`.

export interface HostPort {
  host: string;
  port: number;
}

export const ADDRESS_FORM = 'host:port, e.g. 127.0.0.1:4140 or [::1]:4140';

export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

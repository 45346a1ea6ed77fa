// Runs a load while sampling the CPU and peak RSS of the processes under test.
import { processTree, UsageSampler, UsageWindow } from '../proc-stats';
import type { MeasureContext } from './types';

export interface LoadUsage {
  proxy: UsageWindow;
  backend: UsageWindow;
}

export function proxyPids(ctx: MeasureContext): number[] {
  return ctx.path.proxies.flatMap((p) => processTree(p.pid));
}

export async function withUsage<T>(ctx: MeasureContext, load: () => Promise<T>): Promise<[T, LoadUsage]> {
  const proxy = new UsageSampler(proxyPids(ctx));
  const backend = new UsageSampler(ctx.backendPids);
  try {
    const result = await load();
    return [result, { proxy: proxy.stop(), backend: backend.stop() }];
  } finally {
    proxy.stop();
    backend.stop();
  }
}

export const MB = 1e6;

// The `grpc-timeout` request header (gRPC PROTOCOL-HTTP2): at most 8 digits and a unit, H M S m u n. The proxy
// honours it as a deadline and passes on what is left of it on each try.

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;

/** Milliseconds, or undefined when the header is absent or malformed (then the call has no deadline). */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = GRPC_TIMEOUT.exec(value);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/** The header for `ms` milliseconds, rounded up so that what is passed on never reads as zero early. */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole < 1e8 ? `${whole}m` : `${Math.ceil(whole / 1000)}S`;
}

// Certificates as `weft certs inspect` and `weft identity` print them.
import type { CertificateSummary } from '../certs';
import { OutputFormat, render } from './output';

export const CERTIFICATE_COLUMNS = ['SUBJECT', 'ISSUER', 'SANS', 'NOT BEFORE', 'NOT AFTER', 'DAYS LEFT'];

export function certificateRows(summaries: readonly CertificateSummary[]): string[][] {
  return summaries.map((s) => [
    s.subject,
    s.issuer,
    [...s.dnsNames.map((n) => `DNS:${n}`), ...s.uris.map((u) => `URI:${u}`)].join(',') || '-',
    s.notBefore,
    s.notAfter,
    s.secondsLeft < 0 ? 'expired' : String(s.daysLeft),
  ]);
}

export function renderCertificates(summaries: CertificateSummary[], format: OutputFormat): string {
  return render(summaries, format, CERTIFICATE_COLUMNS, () => certificateRows(summaries));
}

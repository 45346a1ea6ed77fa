// The three checks every certificate weft relies on gets (trust anchors, issuer, injector): ECDSA P-256, within its
// validity period, and at least 60 days left (a warning: time to rotate, before it becomes the outage).
import type { ParsedCertificate } from '../../certs';
import { CERTIFICATE_RENEWAL_WARNING_DAYS } from '../../common/contract';
import type { CheckContext } from './context';
import { CheckFailure, type Check } from './types';

const DAY_MS = 86_400_000;
const P256 = 'prime256v1';

export function algorithmOf(cert: ParsedCertificate): string {
  const key = cert.x509.publicKey;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec') return curve === P256 ? 'ECDSA P-256' : `ECDSA ${curve ?? 'on an unnamed curve'}`;
  return `${(key.asymmetricKeyType ?? 'unknown').toUpperCase()} ${key.asymmetricKeyDetails?.modulusLength ?? ''}`.trim();
}

const iso = (ms: number) => new Date(ms).toISOString();

export function validityProblem(cert: ParsedCertificate, now: number): string | undefined {
  if (now < cert.notBefore) return `${cert.subject} is not valid before ${iso(cert.notBefore)}`;
  if (now > cert.notAfter) return `${cert.subject} expired at ${iso(cert.notAfter)}`;
  return undefined;
}

export interface CertificateCheckText {
  /** "trust anchors", "issuer certificate": the subject of each description. */
  what: string;
  plural?: boolean;
  /** What to do when the certificates must be replaced. */
  replaceHint: string;
}

/** The three checks over the certificates `load` returns. */
export function certificateChecks(text: CertificateCheckText, load: (ctx: CheckContext) => Promise<ParsedCertificate[]>): Check[] {
  const { what, replaceHint } = text;
  const is = text.plural ? 'are' : 'is';
  const their = text.plural ? 'their' : 'its';
  const each = async (ctx: CheckContext, problem: (cert: ParsedCertificate, now: number) => string | undefined) => {
    const now = ctx.options.now();
    const problems = (await load(ctx)).map((cert) => problem(cert, now)).filter((p): p is string => p !== undefined);
    if (problems.length > 0) throw new CheckFailure(problems.join('; '));
  };
  return [
    {
      description: `${what} ${is} ECDSA P-256`,
      hint: `weft signs and verifies with ECDSA P-256 only: ${replaceHint}`,
      run: (ctx) => each(ctx, (cert) => (algorithmOf(cert) === 'ECDSA P-256' ? undefined : `${cert.subject} uses ${algorithmOf(cert)}`)),
    },
    {
      description: `${what} ${is} within ${their} validity period`,
      hint: replaceHint,
      run: (ctx) => each(ctx, validityProblem),
    },
    {
      description: `${what} ${is} valid for at least ${CERTIFICATE_RENEWAL_WARNING_DAYS} days`,
      hint: `rotate before ${text.plural ? 'they expire' : 'it expires'}: ${replaceHint}`,
      warning: true,
      run: (ctx) =>
        each(ctx, (cert, now) => {
          const left = cert.notAfter - now;
          if (left >= CERTIFICATE_RENEWAL_WARNING_DAYS * DAY_MS) return undefined;
          if (left < 0) return `${cert.subject} expired at ${iso(cert.notAfter)}`;
          return `${cert.subject} expires in ${Math.floor(left / DAY_MS)} days, at ${iso(cert.notAfter)}`;
        }),
    },
  ];
}

// Tokens for local and demo mode, where no Kubernetes API can review them: HS256 JWTs shaped like
// projected service-account tokens (sub `system:serviceaccount:<ns>:<sa>`, aud `identity.weft.io`),
// minted and checked with one secret that only the local controller and the demo launcher hold.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Clock, systemClock } from '../../common/clock';
import { TOKEN_AUDIENCE } from '../../common/contract';
import { serviceAccountOfUser, serviceAccountUser, TokenReview, TokenReviewer } from './token-reviewer';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const ISSUER = 'weft-local-token-authority';
const DEFAULT_TOKEN_LIFETIME_MS = 24 * 3_600_000;

export interface MintOptions {
  serviceAccount: string;
  namespace: string;
  lifetimeMs?: number;
  audience?: string;
}

interface Claims {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  exp?: unknown;
}

export class LocalTokenAuthority implements TokenReviewer {
  constructor(
    private readonly secret: Buffer = randomBytes(32),
    private readonly clock: Clock = systemClock,
  ) {}

  mint(options: MintOptions): string {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const claims = {
      iss: ISSUER,
      sub: serviceAccountUser(options.namespace, options.serviceAccount),
      aud: [options.audience ?? TOKEN_AUDIENCE],
      iat: nowSeconds,
      exp: nowSeconds + Math.ceil((options.lifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS) / 1000),
    };
    const signedPart = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${signedPart}.${this.signature(signedPart).toString('base64url')}`;
  }

  async review(token: string): Promise<TokenReview> {
    const parts = token.trim().split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) return refuse('the token is not a weft local token (HS256 JWT)');
    const expected = this.signature(`${parts[0]}.${parts[1]}`);
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse('the token signature does not verify: it was not minted by this controller');
    }
    const claims = parseClaims(parts[1]);
    if (!claims || claims.iss !== ISSUER) return refuse('the token claims cannot be read');
    if (!Array.isArray(claims.aud) || !claims.aud.includes(TOKEN_AUDIENCE)) {
      return refuse(`the token is not for audience ${TOKEN_AUDIENCE}`);
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.clock.now()) {
      return refuse('the token has expired');
    }
    const account = typeof claims.sub === 'string' ? serviceAccountOfUser(claims.sub) : undefined;
    if (!account) return refuse('the token does not name a service account');
    return { authenticated: true, ...account };
  }

  private signature(signedPart: string): Buffer {
    return createHmac('sha256', this.secret).update(signedPart).digest();
  }
}

function parseClaims(encoded: string): Claims | undefined {
  try {
    const claims: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : undefined;
  } catch {
    return undefined;
  }
}

const refuse = (reason: string): TokenReview => ({ authenticated: false, reason });

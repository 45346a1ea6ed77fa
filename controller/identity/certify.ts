// One Certify call: who is asking (token), what they may have (the name the token proves), what they
// asked for (request and CSR), and the leaf if all agree. Each refusal carries the gRPC status the
// contract names for it.
import { status } from '@grpc/grpc-js';
import {
  Authority,
  CertificateInputError,
  issueLeafForCsr,
  IssuerExpiredError,
  namesBeyond,
  namesOf,
  parseCsr,
  ParsedCsr,
  trustDomainOf,
} from '../../certs';
import { Clock } from '../../common/clock';
import { CONTROL_PLANE_NAMESPACE, DEFAULT_TRUST_DOMAIN } from '../../common/contract';
import { CertifyRequest, CertifyResponse } from './proto';
import { TokenReviewer } from './token-reviewer';

export class CertifyRefusal extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export interface CertifyDeps {
  /** The issuer in force now; a function so the files behind it can be re-read while serving. */
  issuer: () => Authority;
  reviewer: TokenReviewer;
  clock: Clock;
  leafLifetimeMs?: number;
  controlPlaneNamespace?: string;
}

export async function certify(request: CertifyRequest, deps: CertifyDeps): Promise<CertifyResponse> {
  if (request.token.length === 0) throw new CertifyRefusal(status.UNAUTHENTICATED, 'no token: send the service-account token');
  const review = await deps.reviewer.review(request.token.toString('utf8')).catch((err: Error) => {
    // The reviewer could not decide (e.g. the Kubernetes API is down): the proxy should retry, not give up.
    throw new CertifyRefusal(status.UNAVAILABLE, `cannot review the token now (${err.message}); retry later`);
  });
  if (!review.authenticated) throw new CertifyRefusal(status.UNAUTHENTICATED, review.reason);

  const issuer = deps.issuer();
  const identity = {
    serviceAccount: review.serviceAccount,
    namespace: review.namespace,
    trustDomain: trustDomainOf(issuer.cert) ?? DEFAULT_TRUST_DOMAIN,
    controlPlaneNamespace: deps.controlPlaneNamespace ?? CONTROL_PLANE_NAMESPACE,
  };
  const proven = namesOf(identity);
  if (request.identity !== proven.name) {
    throw new CertifyRefusal(status.PERMISSION_DENIED, `the token proves ${proven.name}, not ${JSON.stringify(request.identity)}`);
  }

  const csr = readCsr(request.certificateSigningRequest);
  const beyond = namesBeyond(csr, [proven.name, proven.spiffeId]);
  if (beyond.length > 0) {
    throw new CertifyRefusal(status.PERMISSION_DENIED, `the CSR asks for ${beyond.join(', ')}, which the token does not prove; ask for ${proven.name} only`);
  }

  try {
    const leaf = issueLeafForCsr({ issuer, csr, identity, lifetimeMs: deps.leafLifetimeMs, now: deps.clock.now() });
    return { certificateChainPem: leaf.chainPem, validUntil: { seconds: leaf.notAfter / 1000, nanos: 0 } };
  } catch (err) {
    if (err instanceof IssuerExpiredError) throw new CertifyRefusal(status.FAILED_PRECONDITION, err.message);
    throw err;
  }
}

function readCsr(der: Buffer): ParsedCsr {
  try {
    const csr = parseCsr(der);
    if (!csr.signatureValid) throw new CertificateInputError('the CSR is not signed by the key it contains');
    return csr;
  } catch (err) {
    if (err instanceof CertificateInputError) {
      throw new CertifyRefusal(status.INVALID_ARGUMENT, `${err.message}: send a DER PKCS#10 request signed by an ECDSA P-256 key`);
    }
    throw err;
  }
}

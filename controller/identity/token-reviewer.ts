// Who is asking: the identity service signs only the name a token proves. In a cluster the answer comes
// from a Kubernetes TokenReview; in local mode from the local token authority.

export type TokenReview =
  | { authenticated: true; serviceAccount: string; namespace: string }
  | { authenticated: false; reason: string };

export interface TokenReviewer {
  /** Never throws for a bad token: a refusal says why. Throws only when it cannot decide (API down). */
  review(token: string): Promise<TokenReview>;
}

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** Kubernetes names service-account users `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountOfUser(username: string): { namespace: string; serviceAccount: string } | undefined {
  const m = SERVICE_ACCOUNT_USER.exec(username);
  return m ? { namespace: m[1], serviceAccount: m[2] } : undefined;
}

export const serviceAccountUser = (namespace: string, serviceAccount: string): string =>
  `system:serviceaccount:${namespace}:${serviceAccount}`;

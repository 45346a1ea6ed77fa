// In a cluster the API server decides who a token belongs to: a TokenReview for weft's audience, so a
// token minted for anything else (the API server itself, another service) proves nothing here.
import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { TOKEN_AUDIENCE } from '../../common/contract';
import { serviceAccountOfUser, TokenReview, TokenReviewer } from './token-reviewer';

export class KubernetesTokenReviewer implements TokenReviewer {
  private readonly api: AuthenticationV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(AuthenticationV1Api);
  }

  async review(token: string): Promise<TokenReview> {
    const { status } = await this.api.createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [TOKEN_AUDIENCE] } },
    });
    if (!status?.authenticated) {
      return { authenticated: false, reason: `the Kubernetes API refused the token: ${status?.error || 'not authenticated'}` };
    }
    if (!status.audiences?.includes(TOKEN_AUDIENCE)) {
      return { authenticated: false, reason: `the token is not for audience ${TOKEN_AUDIENCE}` };
    }
    const account = serviceAccountOfUser(status.user?.username ?? '');
    if (!account) return { authenticated: false, reason: `${status.user?.username ?? 'the token'} is not a service account` };
    return { authenticated: true, ...account };
  }
}

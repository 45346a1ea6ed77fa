// weft-webhooks-and-apisvc-tls: the API server calls the injector over TLS and trusts only the webhook's caBundle,
// so the injector's certificate must be valid, name its Service, and chain to that caBundle; else pods start
// without proxies (failurePolicy Ignore) or not at all (Fail).
import { verifyChain } from '../../../certs';
import { CHECK_CATEGORIES, INJECTOR_TLS_SECRET } from '../../../common/contract';
import { injectorServerName } from '../../../injector/serving-certificate';
import { certificateChecks, validityProblem } from '../certificate-checks';
import { injectorTls } from '../cluster';
import type { Category } from '../types';
import { CheckFailure } from '../types';

const RENEW_HINT = 'renew the injector certificate and the caBundle together: weft upgrade | kubectl apply -f -';

const [, , expiresSoon] = certificateChecks({ what: 'proxy-injector certificate', replaceHint: RENEW_HINT }, async (ctx) => [(await injectorTls(ctx)).cert]);

export const weftWebhooks: Category = {
  name: CHECK_CATEGORIES.weftWebhooks,
  checks: [
    {
      description: 'proxy-injector webhook has valid cert',
      hint: RENEW_HINT,
      run: async (ctx) => {
        const { cert } = await injectorTls(ctx);
        const name = injectorServerName(ctx.options.controlPlaneNamespace);
        const timeProblem = validityProblem(cert, ctx.options.now());
        if (timeProblem) throw new CheckFailure(`Secret ${INJECTOR_TLS_SECRET}: ${timeProblem}`);
        if (!cert.dnsNames.includes(name)) throw new CheckFailure(`Secret ${INJECTOR_TLS_SECRET} holds a certificate for ${cert.dnsNames.join(', ') || cert.subject}, not ${name}`);
      },
    },
    {
      description: 'proxy-injector webhook caBundle matches its cert',
      hint: RENEW_HINT,
      run: async (ctx) => {
        const { certPem, caBundlePem } = await injectorTls(ctx);
        const verified = verifyChain({ chainPem: certPem, anchorsPem: caBundlePem, now: ctx.options.now() });
        if (!verified.ok) throw new CheckFailure(`the API server would refuse the injector: its certificate does not verify against the webhook's caBundle (${verified.reason})`);
      },
    },
    expiresSoon,
  ],
};

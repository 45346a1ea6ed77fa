// weft-webhooks-and-apisvc-tls: the API server calls the injector and tap's aggregated API over TLS and trusts only
// the webhook's and the APIService's caBundle, so each certificate must be valid, name its Service, and chain to
// that caBundle; else pods start without proxies (failurePolicy Ignore) or not at all (Fail), and `weft tap` in the
// cluster fails. The aggregator marks the APIService Available once tap answers its discovery.
import { serviceServerName, verifyChain } from '../../../certs';
import { CHECK_CATEGORIES, CONTROL_PLANE_SERVICES, INJECTOR_TLS_SECRET, TAP_API_SERVICE, TAP_TLS_SECRET } from '../../../common/contract';
import { injectorServerName } from '../../../injector/serving-certificate';
import { certificateChecks, validityProblem } from '../certificate-checks';
import { injectorTls, tapApiService, tapTls } from '../cluster';
import type { Category } from '../types';
import { CheckFailure } from '../types';

const RENEW_HINT = 'renew the injector certificate and the caBundle together: weft upgrade | kubectl apply -f -';

const [, , expiresSoon] = certificateChecks({ what: 'proxy-injector certificate', replaceHint: RENEW_HINT }, async (ctx) => [(await injectorTls(ctx)).cert]);
const TAP_RENEW_HINT = "renew tap's certificate and the APIService caBundle together: weft upgrade | kubectl apply -f -";
const [, , tapExpiresSoon] = certificateChecks({ what: 'tap API server certificate', replaceHint: TAP_RENEW_HINT }, async (ctx) => [(await tapTls(ctx)).cert]);

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
    {
      description: 'tap API server has valid cert',
      hint: TAP_RENEW_HINT,
      run: async (ctx) => {
        const { cert, certPem, caBundlePem } = await tapTls(ctx);
        const name = serviceServerName(CONTROL_PLANE_SERVICES.tap.service, ctx.options.controlPlaneNamespace);
        const timeProblem = validityProblem(cert, ctx.options.now());
        if (timeProblem) throw new CheckFailure(`Secret ${TAP_TLS_SECRET}: ${timeProblem}`);
        if (!cert.dnsNames.includes(name)) throw new CheckFailure(`Secret ${TAP_TLS_SECRET} holds a certificate for ${cert.dnsNames.join(', ') || cert.subject}, not ${name}`);
        const verified = verifyChain({ chainPem: certPem, anchorsPem: caBundlePem, now: ctx.options.now() });
        if (!verified.ok) throw new CheckFailure(`the API server would refuse tap: its certificate does not verify against the caBundle of APIService ${TAP_API_SERVICE} (${verified.reason})`);
      },
    },
    tapExpiresSoon,
    {
      description: 'tap API service is running',
      hint: `see why the API server cannot reach tap: kubectl get apiservice ${TAP_API_SERVICE} -o yaml, and the weft-tap pods' logs`,
      run: async (ctx) => {
        const available = (await tapApiService(ctx)).status?.conditions?.find((c) => c.type === 'Available');
        if (available?.status === 'True') return;
        throw new CheckFailure(available ? `APIService ${TAP_API_SERVICE} is not Available (${available.reason ?? 'no reason'}): ${available.message ?? ''}`.trimEnd() : `APIService ${TAP_API_SERVICE} has no Available condition yet: the API server has not reached tap`);
      },
    },
  ],
};

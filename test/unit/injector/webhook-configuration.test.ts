import t from 'tap';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { openssl, writeFiles } from '../certs/helpers';
import { injectorServerName, injectorServingCertificate } from '../../../injector/serving-certificate';
import { injectorWebhookConfiguration } from '../../../injector/webhook-configuration';
import { parseCertificates } from '../../../certs';

const CA = injectorServingCertificate().caPem;

t.test('the webhook configuration: pods on CREATE, never kube-system or the control plane, Ignore, 10 s', async (t) => {
  const configuration = injectorWebhookConfiguration({ caBundlePem: CA });
  new MutatingWebhookConfiguration(configuration).validate();
  t.match(configuration, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'weft-proxy-injector-webhook-config' } });
  const [webhook] = configuration.webhooks!;
  t.equal(configuration.webhooks!.length, 1);
  t.same(webhook.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
  t.same(webhook.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'weft'] }] });
  t.equal(webhook.objectSelector, undefined, 'every pod of a selected namespace: the injector decides from annotations');
  t.match(webhook, { failurePolicy: 'Ignore', sideEffects: 'None', timeoutSeconds: 10, admissionReviewVersions: ['v1'] });
  t.same(webhook.clientConfig.service, { name: 'weft-proxy-injector', namespace: 'weft', port: 443, path: '/inject' });
  t.equal(Buffer.from(webhook.clientConfig.caBundle!, 'base64').toString('utf8'), CA, 'caBundle is the CA PEM, base64');
});

t.test('the operator says otherwise: another namespace, Fail, a shorter timeout', async (t) => {
  const [webhook] = injectorWebhookConfiguration({ caBundlePem: CA, controlPlaneNamespace: 'mesh', failurePolicy: 'Fail', timeoutSeconds: 3 }).webhooks!;
  t.match(webhook, { failurePolicy: 'Fail', timeoutSeconds: 3, clientConfig: { service: { namespace: 'mesh' } } });
  t.same(webhook.namespaceSelector!.matchExpressions![0].values, ['kube-system', 'mesh']);
  t.throws(() => injectorWebhookConfiguration({ caBundlePem: CA, timeoutSeconds: 31 }), /from 1 to 30/);
  t.throws(() => injectorWebhookConfiguration({ caBundlePem: CA, timeoutSeconds: 0 }), /from 1 to 30/);
  t.throws(() => injectorWebhookConfiguration({ caBundlePem: 'not a certificate' }), /PEM of the CA/);
});

t.test('the serving certificate: a P-256 CA and a server leaf for weft-proxy-injector.<ns>.svc', async (t) => {
  const pair = injectorServingCertificate({ controlPlaneNamespace: 'weft' });
  t.equal(injectorServerName(), 'weft-proxy-injector.weft.svc');
  const [ca] = parseCertificates(pair.caPem);
  const [leaf] = parseCertificates(pair.certPem);
  t.ok(ca.isCA);
  t.notOk(leaf.isCA);
  t.same(leaf.dnsNames, ['weft-proxy-injector.weft.svc']);
  t.same(leaf.extKeyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only');
  const dir = writeFiles(t.testdir(), { 'ca.crt': pair.caPem, 'tls.crt': pair.certPem, 'tls.key': pair.keyPem });
  const verified = openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-verify_hostname', 'weft-proxy-injector.weft.svc', '-CAfile', 'ca.crt', 'tls.crt'], dir);
  t.equal(verified.status, 0, verified.output);
  const otherName = openssl(['verify', '-x509_strict', '-verify_hostname', 'weft-proxy-injector.other.svc', '-CAfile', 'ca.crt', 'tls.crt'], dir);
  t.not(otherName.status, 0, 'not valid for another namespace');
  t.match(openssl(['pkey', '-in', 'tls.key', '-noout', '-text'], dir).output, /prime256v1|P-256/);
  t.match(openssl(['x509', '-in', 'tls.crt', '-noout', '-text'], dir).output, 'ecdsa-with-SHA256');
  const ms = leaf.notAfter - Date.now();
  t.ok(ms > 364 * 86_400_000 && ms <= 365 * 86_400_000, 'valid for a year');
  t.not(injectorServingCertificate().caPem, pair.caPem, 'each call makes a new CA');
});

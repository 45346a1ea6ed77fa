// The flags `weft install` and `weft upgrade` share, and the install plan they describe: values from --ha,
// --identity-external-issuer and --set (on top of the values an earlier install kept, for upgrade), and the
// certificates from the files given (on top of the ones read from the cluster, for upgrade).
import * as fs from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../../common/errors';
import { CertificateRefusedError, installCertificates, Pem, SuppliedCertificates } from './certificates';
import type { InstallPlan } from './plan';
import { GivenValues, parseSetFlag, resolveValues } from './values';

export interface InstallFlags {
  ha?: boolean;
  set: string[];
  identityTrustAnchorsFile?: string;
  identityIssuerCertificateFile?: string;
  identityIssuerKeyFile?: string;
  identityExternalIssuer?: boolean;
  webhookCertificateFile?: string;
  webhookKeyFile?: string;
  tapCertificateFile?: string;
  tapKeyFile?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addInstallFlags(command: Command): Command {
  return command
    .option('--ha', 'high availability: 3 replicas, PodDisruptionBudgets, pod anti-affinity, failurePolicy Fail, resource requests and limits')
    .option('--set <key=value>', 'set an install value (repeatable); the keys are in docs/install.md', collect, [])
    .option('--identity-trust-anchors-file <file>', 'PEM of the trust anchors (ca.crt of `weft certs anchor`); default: generated')
    .option('--identity-issuer-certificate-file <file>', 'PEM of the issuer the anchors signed (issuer.crt of `weft certs issuer`)')
    .option('--identity-issuer-key-file <file>', "PEM of the issuer's private key (issuer.key)")
    .option('--identity-external-issuer', 'leave the issuer Secret out, for cert-manager to own; needs --identity-trust-anchors-file')
    .option('--webhook-certificate-file <file>', "PEM of the injector's serving certificate and its chain up to its CA (leaf first); default: generated")
    .option('--webhook-key-file <file>', "PEM of the injector's private key")
    .option('--tap-certificate-file <file>', "PEM of tap's serving certificate (its aggregated API) and its chain up to its CA (leaf first); default: generated")
    .option('--tap-key-file <file>', "PEM of tap's private key");
}

/** The values the flags give, over `kept` (an earlier install's). */
export function givenValues(flags: InstallFlags, kept: GivenValues = {}): GivenValues {
  const given: GivenValues = { ...kept };
  if (flags.ha) given.ha = 'true';
  if (flags.identityExternalIssuer) given['identity.externalIssuer'] = 'true';
  for (const flag of flags.set) {
    const [key, value] = parseSetFlag(flag);
    given[key] = value;
  }
  return given;
}

function readPem(file: string, flag: string): Pem {
  try {
    return { text: fs.readFileSync(file, 'utf8'), source: `${flag} ${file}` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`}`);
  }
}

function pair(certFile: string | undefined, keyFile: string | undefined, certFlag: string, keyFlag: string) {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError(`${certFile === undefined ? keyFlag : certFlag} needs ${certFile === undefined ? certFlag : keyFlag} too: give the certificate and its key together`);
  }
  return { cert: readPem(certFile, certFlag), key: readPem(keyFile, keyFlag) };
}

/** The certificates the flags supply, over `kept` (read from the cluster), piece by piece. */
export function suppliedCertificates(flags: InstallFlags, kept: SuppliedCertificates = {}): SuppliedCertificates {
  const issuer = pair(flags.identityIssuerCertificateFile, flags.identityIssuerKeyFile, '--identity-issuer-certificate-file', '--identity-issuer-key-file');
  const webhook = pair(flags.webhookCertificateFile, flags.webhookKeyFile, '--webhook-certificate-file', '--webhook-key-file');
  const tap = pair(flags.tapCertificateFile, flags.tapKeyFile, '--tap-certificate-file', '--tap-key-file');
  return {
    trustAnchors: flags.identityTrustAnchorsFile ? readPem(flags.identityTrustAnchorsFile, '--identity-trust-anchors-file') : kept.trustAnchors,
    issuer: issuer ?? kept.issuer,
    webhook: webhook ?? kept.webhook,
    tap: tap ?? kept.tap,
  };
}

export function installPlan(given: GivenValues, supplied: SuppliedCertificates): InstallPlan {
  const values = resolveValues(given);
  try {
    const certificates = installCertificates({ supplied, externalIssuer: values['identity.externalIssuer'], trustDomain: values.trustDomain });
    return { values, given, certificates };
  } catch (err) {
    if (err instanceof CertificateRefusedError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

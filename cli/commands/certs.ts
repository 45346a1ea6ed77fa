// `weft certs anchor|issuer|inspect`: the operator's side of the mesh PKI, PEM files on disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import {
  ANCHOR_VALIDITY_MS,
  Authority,
  CertificateInputError,
  CertifiedKey,
  createIssuer,
  createTrustAnchor,
  ISSUER_VALIDITY_MS,
  loadAuthority,
  summarizeCertificates,
} from '../../certs';
import { DEFAULT_TRUST_DOMAIN } from '../../common/contract';
import { DURATION_FORM, formatDuration, parseDuration } from '../../common/duration';
import { UsageError } from '../../common/errors';
import { OutputFormat, outputOption } from '../output';
import { renderCertificates as render } from '../certificate-table';

const ANCHOR_FILES = { cert: 'ca.crt', key: 'ca.key' };
const ISSUER_FILES = { cert: 'issuer.crt', key: 'issuer.key' };
export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('create and inspect the trust anchor and issuer certificates of the mesh');

  certs
    .command('anchor')
    .description(`create a trust anchor (root CA): writes ${ANCHOR_FILES.cert} and ${ANCHOR_FILES.key} into --out`)
    .option('--out <dir>', 'directory to write into (created if missing)')
    .option('--validity <duration>', `how long the anchor is valid (${DURATION_FORM})`, formatDuration(ANCHOR_VALIDITY_MS))
    .option('--trust-domain <domain>', 'trust domain of the mesh', DEFAULT_TRUST_DOMAIN)
    .option('--force', 'replace existing certificate and key files')
    .action((opts: { out?: string; validity: string; trustDomain: string; force?: boolean }) => {
      const out = required(opts.out, '--out <dir>', `the directory to write ${ANCHOR_FILES.cert} and ${ANCHOR_FILES.key} into`);
      const validityMs = validity(opts.validity);
      const trustDomain = dnsName(opts.trustDomain, '--trust-domain');
      refuseOverwrite(out, ANCHOR_FILES, opts.force);
      const anchor = createTrustAnchor({ trustDomain, validityMs });
      report('trust anchor', writeCertifiedKey(out, ANCHOR_FILES, anchor), anchor);
    });

  certs
    .command('issuer')
    .description(`create an issuer (intermediate CA) signed by the anchor in --ca: writes ${ISSUER_FILES.cert} and ${ISSUER_FILES.key} into --out`)
    .option('--ca <dir>', `directory holding the trust anchor's ${ANCHOR_FILES.cert} and ${ANCHOR_FILES.key}`)
    .option('--out <dir>', 'directory to write into (created if missing)')
    .option('--validity <duration>', `how long the issuer is valid (${DURATION_FORM}); never past the anchor`, formatDuration(ISSUER_VALIDITY_MS))
    .option('--force', 'replace existing certificate and key files')
    .action((opts: { ca?: string; out?: string; validity: string; force?: boolean }) => {
      const caDir = required(opts.ca, '--ca <dir>', `the directory \`weft certs anchor --out\` wrote ${ANCHOR_FILES.cert} and ${ANCHOR_FILES.key} into`);
      const out = required(opts.out, '--out <dir>', `the directory to write ${ISSUER_FILES.cert} and ${ISSUER_FILES.key} into`);
      const validityMs = validity(opts.validity);
      refuseOverwrite(out, ISSUER_FILES, opts.force);
      const issuer = createIssuer({ anchor: readAnchor(caDir), validityMs });
      report('issuer', writeCertifiedKey(out, ISSUER_FILES, issuer), issuer);
    });

  certs
    .command('inspect')
    .description('show subject, SANs, issuer, validity and days left of each certificate in a PEM file (a chain too)')
    .argument('<file>', 'PEM file with one or more certificates')
    .addOption(outputOption())
    .action((file: string, opts: { output: OutputFormat }) => {
      const hint = 'pass a PEM certificate file such as ca.crt or issuer.crt';
      const text = readText(file, hint);
      process.stdout.write(render(explainInput(file, hint, () => summarizeCertificates(text)), opts.output));
    });
}

function required(value: string | undefined, flag: string, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${flag}: give ${what}`);
  return value;
}

function validity(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000) {
    throw new UsageError(`--validity ${JSON.stringify(text)} is not valid: expected ${DURATION_FORM}, at least 1s`);
  }
  return ms;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function dnsName(text: string, flag: string): string {
  if (!DNS_NAME.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)} is not valid: expected a lower-case DNS name such as ${DEFAULT_TRUST_DOMAIN}`);
  return text;
}

function refuseOverwrite(dir: string, files: typeof ANCHOR_FILES, force: boolean | undefined): void {
  if (force) return;
  for (const name of [files.key, files.cert]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) throw new Error(`${file} already exists: pass --force to replace it, or choose another --out`);
  }
}

function readAnchor(dir: string): Authority {
  const hint = `pass --ca the directory written by \`weft certs anchor --out\``;
  const certFile = path.join(dir, ANCHOR_FILES.cert);
  const keyFile = path.join(dir, ANCHOR_FILES.key);
  const pair = { certPem: readText(certFile, hint), keyPem: readText(keyFile, hint) };
  return explainInput(`${certFile} and ${keyFile}`, hint, () => loadAuthority(pair));
}

function readText(file: string, hint: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`;
    throw new Error(`${file} ${problem}: ${hint}`);
  }
}

/** Frames what the certificate library found wrong with a file's contents: which file, and what to do. */
function explainInput<T>(source: string, hint: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CertificateInputError) throw new Error(`${source}: ${err.message}; ${hint}`);
    throw err;
  }
}

/** Key first, mode 0600, each file written beside its final name and renamed so no reader sees half a file. */
function writeCertifiedKey(dir: string, files: typeof ANCHOR_FILES, pair: CertifiedKey): string[] {
  const written = [path.join(dir, files.cert), path.join(dir, files.key)];
  try {
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomically(written[1], pair.keyPem, 0o600);
    writeFileAtomically(written[0], pair.certPem, 0o644);
  } catch (err) {
    throw new Error(`cannot write into ${dir} (${(err as Error).message}): choose a writable --out directory`);
  }
  return written;
}

function writeFileAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, text, { mode, flag: 'wx' });
    fs.chmodSync(temporary, mode); // the umask may have narrowed or, for the key, must not widen it
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function report(what: string, files: string[], pair: CertifiedKey): void {
  const [summary] = summarizeCertificates(pair.certPem);
  process.stdout.write(`wrote ${files.join(' and ')}\n${what} ${summary.subject}, valid until ${summary.notAfter}\n`);
}

// deploy/kustomize/ is the Kustomize base `weft install --output-dir` writes, and the real kubectl's
// `kubectl kustomize` renders it, with the same certificates, to the same objects `weft install` prints.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { REPO_ROOT } from '../../common/entrypoint';
import { writeInstallCerts } from '../fixtures/install-certs';
import { kubectl } from '../fixtures/kubectl';
import { runBin } from '../fixtures/run-bin';

const BASE = path.join(REPO_ROOT, 'deploy/kustomize');
type Obj = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string>; webhooks?: Array<{ clientConfig: { caBundle: string } }>; spec?: { caBundle?: string } };

/**
 * Kustomize folds long base64 (Secret data, and the caBundles copied from it) onto several lines; the API server's
 * base64 decoder skips line breaks, so both forms are the same bytes to it.
 */
const unfold = (v: string) => v.replace(/\s+/g, '');
function unfolded(object: Obj): Obj {
  const copy = structuredClone(object);
  if (copy.kind === 'Secret' && copy.data) copy.data = Object.fromEntries(Object.entries(copy.data).map(([k, v]) => [k, unfold(v)]));
  for (const webhook of copy.webhooks ?? []) webhook.clientConfig.caBundle = unfold(webhook.clientConfig.caBundle);
  if (copy.kind === 'APIService' && copy.spec?.caBundle) copy.spec.caBundle = unfold(copy.spec.caBundle);
  return copy;
}

const byName = (text: string) =>
  Object.fromEntries(
    YAML.parseAllDocuments(text)
      .map((d) => d.toJS() as Obj)
      .filter(Boolean)
      .map(unfolded)
      .map((o) => [`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]),
  );

/** Every file under `dir` (relative path → content), certs/ left out. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const relative = path.relative(dir, path.join(entry.parentPath, entry.name));
    if (entry.isFile() && !relative.startsWith('certs')) out[relative] = fs.readFileSync(path.join(dir, relative), 'utf8');
  }
  return out;
}

t.test('kubectl kustomize deploy/kustomize renders what weft install prints, for the same certificates', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-kustomize-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const certs = writeInstallCerts(path.join(dir, 'pki'));
  const generated = path.join(dir, 'generated');
  const [written, install] = await Promise.all([
    runBin('weft', ['install', '--output-dir', generated, ...certs.flags], { timeoutMs: 60_000 }),
    runBin('weft', ['install', ...certs.flags], { timeoutMs: 60_000 }),
  ]);
  t.equal(written.code, 0, written.stderr);
  t.equal(install.code, 0, install.stderr);
  t.same(files(generated), files(BASE), 'the committed base is what the code writes (else run scripts/generate-kustomize.sh)');
  t.notOk(fs.existsSync(path.join(BASE, 'certs')), 'no certificate is committed');

  // The committed base with the certificates written beside it, as a user would.
  const used = path.join(dir, 'base');
  fs.cpSync(BASE, used, { recursive: true });
  fs.cpSync(path.join(generated, 'certs'), path.join(used, 'certs'), { recursive: true });
  const rendered = await kubectl(dir, ['kustomize', used]);
  t.equal(rendered.code, 0, rendered.stderr);
  const expected = byName(install.stdout);
  t.same(byName(rendered.stdout), expected, 'the same objects, field for field');
  t.equal(Object.keys(expected).length, 31);
  t.equal(fs.statSync(path.join(generated, 'certs/weft-identity-issuer/tls.key')).mode & 0o777, 0o600, 'keys are written for the owner only');
});

// Shared by the certs tests: a ready CA, and the real openssl CLI as a second, independent implementation
// that checks what we write.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Authority, CertifiedKey, createIssuer, createTrustAnchor, loadAuthority } from '../../../certs';

export interface OpensslResult {
  status: number | null;
  output: string; // stdout and stderr together: openssl splits its messages between them
}

export function openssl(args: string[], cwd: string): OpensslResult {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Writes each `name → content` into `dir` and returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

export interface TestCa {
  anchor: CertifiedKey;
  issuer: CertifiedKey;
  issuerAuthority: Authority;
}

/** A trust anchor and an issuer signed by it, both valid from `now`. */
export function createTestCa(now = Date.now(), trustDomain?: string): TestCa {
  const anchor = createTrustAnchor({ now, trustDomain });
  const issuer = createIssuer({ anchor: loadAuthority(anchor), now });
  return { anchor, issuer, issuerAuthority: loadAuthority(issuer) };
}

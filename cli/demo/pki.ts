// The demo's own mesh PKI, made fresh in its temp dir on every run: a trust anchor, an issuer for the
// controller's identity service, and the secret that local service-account tokens are signed with. Files
// are laid out as `weft certs anchor|issuer` write them, so the usual tools work on them while it runs.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createIssuer, createTrustAnchor, loadAuthority } from '../../certs';
import { ANCHOR_FILES, ISSUER_FILES } from '../../common/contract';
import { LocalTokenAuthority } from '../../controller/identity/local-token-authority';

const SECRET_BYTES = 32;
const SECRET_FILE = 'token-secret';
// No kubelet refreshes the demo's tokens, and a proxy presents its token again at every renewal: one that
// outlives any demo run keeps renewals working however long the demo is left running.
const TOKEN_LIFETIME_MS = 365 * 24 * 3_600_000;
const PRIVATE = 0o600;
const PUBLIC = 0o644;

/** Everything lives in one directory, ca.key included, so `weft certs issuer --ca DIR` can sign for this mesh too. */
export interface DemoPki {
  /** The trust anchor's certificate (ca.crt): what every proxy trusts. */
  trustAnchorsFile: string;
  trustAnchorsPem: string;
  /** Where issuer.crt + issuer.key are: the controller's --issuer-dir. */
  issuerDir: string;
  tokenSecretFile: string;
  /** Writes a token proving `serviceAccount` in `namespace` and returns its file, for WEFT_PROXY_IDENTITY_TOKEN_FILE. */
  writeToken(serviceAccount: string, namespace: string): Promise<string>;
}

export async function createDemoPki(dir: string): Promise<DemoPki> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const anchor = createTrustAnchor();
  const issuer = createIssuer({ anchor: loadAuthority(anchor) });
  const secret = randomBytes(SECRET_BYTES);
  const file = (name: string) => path.join(dir, name);
  await Promise.all([
    writeFile(file(ANCHOR_FILES.key), anchor.keyPem, PRIVATE),
    writeFile(file(ANCHOR_FILES.cert), anchor.certPem, PUBLIC),
    writeFile(file(ISSUER_FILES.key), issuer.keyPem, PRIVATE),
    writeFile(file(ISSUER_FILES.cert), issuer.certPem, PUBLIC),
    writeFile(file(SECRET_FILE), secret, PRIVATE),
  ]);
  const tokens = new LocalTokenAuthority(secret);
  return {
    trustAnchorsFile: file(ANCHOR_FILES.cert),
    trustAnchorsPem: anchor.certPem,
    issuerDir: dir,
    tokenSecretFile: file(SECRET_FILE),
    async writeToken(serviceAccount, namespace) {
      const tokenFile = file(`${namespace}.${serviceAccount}.token`);
      await writeFile(tokenFile, tokens.mint({ serviceAccount, namespace, lifetimeMs: TOKEN_LIFETIME_MS }), PRIVATE);
      return tokenFile;
    },
  };
}

// Only ever a new file (`wx`): the mode given applies at creation, while an existing file would keep its own.
function writeFile(file: string, data: string | Buffer, mode: number): Promise<void> {
  return fs.writeFile(file, data, { mode, flag: 'wx' });
}

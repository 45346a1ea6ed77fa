// The issuer the identity service signs with, read from `--issuer-dir` in either layout: `issuer.crt` +
// `issuer.key` as `weft certs issuer` writes them, or `tls.crt` + `tls.key` of a mounted kubernetes.io/tls
// Secret. It is re-read whenever those files change, including a mounted Secret's update, which swaps the
// `..data` symlink to a new directory rather than writing the files. A replacement that does not load, or
// does not chain to the trust anchors, is logged and the last good issuer stays in force.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Authority, loadAuthority, parseCertificates } from '../../certs';
import { ISSUER_FILES, KUBERNETES_TLS_FILES, MOUNTED_DATA_LINK } from '../../common/contract';
import type { Logger } from '../../common/log';
import { FileWatch, watchFiles } from '../../common/watch-file';

type Layout = typeof ISSUER_FILES | typeof KUBERNETES_TLS_FILES;

interface Loaded {
  issuer: Authority;
  /** The PEM it was loaded from: a change event that leaves the files as they were is not a reload. */
  source: string;
}

export class IssuerDir {
  private current: Loaded;
  private readonly watch: FileWatch;
  private readonly listeners: ((issuer: Authority) => void)[] = [];

  /** Throws when the issuer cannot be loaded now: there is no last good one to fall back on. */
  constructor(
    private readonly dir: string,
    private readonly trustAnchorsPem: string,
    private readonly log: Logger,
  ) {
    this.current = this.load();
    const names = [ISSUER_FILES.cert, ISSUER_FILES.key, KUBERNETES_TLS_FILES.cert, KUBERNETES_TLS_FILES.key, MOUNTED_DATA_LINK];
    this.watch = watchFiles(dir, names, () => this.reload());
  }

  issuer(): Authority {
    return this.current.issuer;
  }

  /** Called with each new issuer after a reload (not with the first). */
  onChange(fn: (issuer: Authority) => void): void {
    this.listeners.push(fn);
  }

  close(): void {
    this.watch.close();
  }

  private reload(): void {
    let loaded: Loaded;
    try {
      loaded = this.load();
    } catch (err) {
      // Often a half-done replacement (the certificate written, the key not yet): the next change retries.
      this.log.error({ dir: this.dir, error: (err as Error).message }, 'issuer files rejected; keeping the last good issuer');
      return;
    }
    if (loaded.source === this.current.source) return;
    this.current = loaded;
    const { cert } = loaded.issuer;
    this.log.info({ issuer: cert.subject, serial: cert.serialNumber, notAfter: new Date(cert.notAfter).toISOString() }, 'issuer reloaded');
    for (const listener of this.listeners) listener(loaded.issuer);
  }

  private load(): Loaded {
    const layout = this.layout();
    const read = (name: string) => {
      try {
        return fs.readFileSync(path.join(this.dir, name), 'utf8');
      } catch (err) {
        throw new Error(
          `cannot read ${path.join(this.dir, name)} (${(err as NodeJS.ErrnoException).code}); create ${ISSUER_FILES.cert} + ${ISSUER_FILES.key} with \`weft certs issuer --out ${this.dir}\`, or mount the issuer Secret (${KUBERNETES_TLS_FILES.cert} + ${KUBERNETES_TLS_FILES.key}) there`,
        );
      }
    };
    const certPem = read(layout.cert);
    const keyPem = read(layout.key);
    const issuer = loadAuthority({ certPem, keyPem });
    const anchors = parseCertificates(this.trustAnchorsPem);
    if (!anchors.some((anchor) => issuer.cert.x509.checkIssued(anchor.x509) && issuer.cert.x509.verify(anchor.x509.publicKey))) {
      throw new Error(`the issuer ${issuer.cert.subject} is not signed by any of the trust anchors; proxies would refuse every certificate it signs`);
    }
    return { issuer, source: certPem + keyPem };
  }

  /** Which layout the directory holds now; both at once is refused rather than guessed between. */
  private layout(): Layout {
    const has = (name: string) => fs.existsSync(path.join(this.dir, name));
    const secret = has(KUBERNETES_TLS_FILES.cert);
    if (secret && has(ISSUER_FILES.cert)) {
      throw new Error(`${this.dir} holds both ${ISSUER_FILES.cert} and ${KUBERNETES_TLS_FILES.cert}: keep one issuer there`);
    }
    return secret ? KUBERNETES_TLS_FILES : ISSUER_FILES;
  }
}

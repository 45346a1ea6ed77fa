// The issuer the identity service signs with, read from `--issuer-dir` (issuer.crt + issuer.key, as
// `weft certs issuer` writes them) and re-read whenever either file changes, so an operator rotates it by
// replacing the files. A replacement that does not load, or does not chain to the trust anchors, is logged
// and the last good issuer stays in force.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Authority, loadAuthority, parseCertificates } from '../../certs';
import { ISSUER_FILES } from '../../common/contract';
import type { Logger } from '../../common/log';
import { FileWatch, watchFile } from '../../common/watch-file';

export class IssuerDir {
  private current: Authority;
  private readonly watches: FileWatch[];

  /** Throws when the issuer cannot be loaded now: there is no last good one to fall back on. */
  constructor(
    private readonly dir: string,
    private readonly trustAnchorsPem: string,
    private readonly log: Logger,
    private readonly onLoad: (issuer: Authority) => void = () => {},
  ) {
    this.current = this.load();
    this.onLoad(this.current);
    this.watches = [ISSUER_FILES.cert, ISSUER_FILES.key].map((name) => watchFile(path.join(dir, name), () => this.reload()));
  }

  issuer(): Authority {
    return this.current;
  }

  close(): void {
    for (const watch of this.watches) watch.close();
  }

  private reload(): void {
    try {
      this.current = this.load();
      this.onLoad(this.current);
      this.log.info({ issuer: this.current.cert.subject, notAfter: new Date(this.current.cert.notAfter).toISOString() }, 'issuer reloaded');
    } catch (err) {
      // Often a half-done replacement (the certificate written, the key not yet): the next change retries.
      this.log.error({ dir: this.dir, error: (err as Error).message }, 'issuer files rejected; keeping the last good issuer');
    }
  }

  private load(): Authority {
    const read = (name: string) => {
      try {
        return fs.readFileSync(path.join(this.dir, name), 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${path.join(this.dir, name)} (${(err as NodeJS.ErrnoException).code}); create it with \`weft certs issuer --out ${this.dir}\``);
      }
    };
    const issuer = loadAuthority({ certPem: read(ISSUER_FILES.cert), keyPem: read(ISSUER_FILES.key) });
    const anchors = parseCertificates(this.trustAnchorsPem);
    if (!anchors.some((anchor) => issuer.cert.x509.checkIssued(anchor.x509) && issuer.cert.x509.verify(anchor.x509.publicKey))) {
      throw new Error(`the issuer ${issuer.cert.subject} is not signed by any of the trust anchors; proxies would refuse every certificate it signs`);
    }
    return issuer;
  }
}

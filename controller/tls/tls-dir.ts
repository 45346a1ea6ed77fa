// A serving certificate read from a directory (tls.crt + tls.key, as a mounted kubernetes.io/tls Secret: the
// injector's `--injector-tls-dir`, tap's `--tap-tls-dir`) and re-read when they change, including the kubelet's `..data` symlink swap that
// updates a mounted Secret. A replacement that does not load is logged and the last good pair stays in force.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { KUBERNETES_TLS_FILES } from '../../common/contract';
import type { Logger } from '../../common/log';
import { FileWatch, watchFile } from '../../common/watch-file';

export interface KeyPair {
  cert: string;
  key: string;
}

/** The directory a Secret volume swaps atomically: its files are symlinks into `..data`. */
const SECRET_DATA_LINK = '..data';

export class TlsDir {
  private current: KeyPair;
  private readonly watches: FileWatch[];

  /** Throws when the pair cannot be loaded now: there is no last good one to serve with. */
  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly onReload: (pair: KeyPair) => void,
    /** The Secret meant to be mounted there, for the error that says what is missing. */
    private readonly secret: string,
  ) {
    this.current = this.load();
    const names = [KUBERNETES_TLS_FILES.cert, KUBERNETES_TLS_FILES.key, SECRET_DATA_LINK];
    this.watches = names.map((name) => watchFile(path.join(dir, name), () => this.reload()));
  }

  get pair(): KeyPair {
    return this.current;
  }

  close(): void {
    for (const watch of this.watches) watch.close();
  }

  private reload(): void {
    try {
      const next = this.load();
      if (next.cert === this.current.cert && next.key === this.current.key) return;
      this.current = next;
      this.onReload(next);
      this.log.info({ dir: this.dir }, 'serving certificate reloaded');
    } catch (err) {
      // Often a half-done replacement (the certificate written, the key not yet): the next change retries.
      this.log.error({ dir: this.dir, error: (err as Error).message }, 'serving certificate files rejected; keeping the last good pair');
    }
  }

  private load(): KeyPair {
    const read = (name: string) => {
      const file = path.join(this.dir, name);
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code}); mount the kubernetes.io/tls Secret ${this.secret} there`);
      }
    };
    const pair = { cert: read(KUBERNETES_TLS_FILES.cert), key: read(KUBERNETES_TLS_FILES.key) };
    try {
      tls.createSecureContext(pair); // refuses a malformed PEM and a key that does not belong to the certificate
    } catch (err) {
      throw new Error(`${this.dir}: ${KUBERNETES_TLS_FILES.cert} and ${KUBERNETES_TLS_FILES.key} are not a usable pair (${(err as Error).message})`);
    }
    return pair;
  }
}

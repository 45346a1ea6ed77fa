// The demo's default listen ports. The demo chooses every port up front (the endpoints file and the apps'
// flags name them) and each child binds its own seconds later, so a chosen port has to stay free meanwhile.
// A port from the kernel's ephemeral range may not: the kernel hands those out to every port-0 listener and
// every outgoing connection on the machine, the demo's own included. Below that range only a process that
// asks for that very port can take it, so that is where these come from.
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import { DEMO_HOST } from './topology';
const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** Linux's default start of the ephemeral range, where the file above cannot be read. */
const DEFAULT_EPHEMERAL_LOW = 32768;
/** Below this, well-known and common development ports (3000, 5432, 8080, 9090 …) crowd together. */
const LOWEST = 10_000;
/** Random tries before giving up on the range and asking the kernel (port 0). */
const ATTEMPTS = 50;

/**
 * Free ports below the ephemeral range, each held by a listener of ours until `release()`, so no two are the
 * same and nothing takes one while the rest are chosen.
 */
export class SparePorts {
  private readonly held: net.Server[] = [];
  private ephemeralLow?: Promise<number>;

  /** A PortSource (bound here, so it can be handed on as `spare.next`). */
  readonly next = async (): Promise<number> => {
    const low = await (this.ephemeralLow ??= readEphemeralLow());
    for (let attempt = 0; attempt < ATTEMPTS && low > LOWEST; attempt++) {
      const port = await this.hold(LOWEST + Math.floor(Math.random() * (low - LOWEST)));
      if (port !== undefined) return port;
    }
    // Nothing free below the range (or no such range): a port the kernel picks is still better than none.
    const port = await this.hold(0);
    if (port === undefined) throw new Error(`cannot listen on any port of ${DEMO_HOST}: free some ports, or pass --base-port`);
    return port;
  };

  /** Lets go of every port, for the demo's processes to bind. */
  async release(): Promise<void> {
    await Promise.all(this.held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  }

  /** Listens on `port` and keeps listening; undefined when it is taken. */
  private hold(port: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, DEMO_HOST, () => {
        this.held.push(server);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }
}

async function readEphemeralLow(): Promise<number> {
  try {
    const low = Number((await fs.readFile(EPHEMERAL_RANGE_FILE, 'utf8')).trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

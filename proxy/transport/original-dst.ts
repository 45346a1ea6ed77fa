// Where a connection was going before iptables REDIRECTed it to the proxy (weft-proxy-init's rules):
// getsockopt(fd, SOL_IP, SO_ORIGINAL_DST) reads the original tuple from the kernel's conntrack entry.
// IPv4 only: IPv6 would need SOL_IPV6 / IP6T_SO_ORIGINAL_DST and a 28-byte sockaddr_in6, and weft-proxy-init
// writes IPv4 rules only.
import type * as net from 'node:net';
import type { HostPort } from '../../common/address';

const SOL_IP = 0;
const SO_ORIGINAL_DST = 80;
/** sizeof(struct sockaddr_in): the kernel refuses (EINVAL) anything shorter, which is why `sockopt` fails. */
const SOCKADDR_IN_SIZE = 16;
const AF_INET = 2;
const ENOENT = 2;
const ENOPROTOOPT = 92;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: Uint32Array) => number;

interface Libc {
  getsockopt: GetSockOpt;
  errno: () => number;
}

let libc: Libc | undefined;

// koffi and libc load on the first lookup, once; a proxy without iptables never pays for them.
function loadLibc(): Libc {
  if (libc) return libc;
  const koffi = require('koffi') as typeof import('koffi');
  const getsockopt = koffi
    .load('libc.so.6')
    .func('int getsockopt(int fd, int level, int optname, _Out_ void *optval, _Inout_ uint32_t *optlen)');
  libc = { getsockopt: getsockopt as GetSockOpt, errno: () => koffi.errno() };
  return libc;
}

// One lookup at a time (JavaScript runs one at a time), so one pair of buffers serves every connection.
const address = Buffer.alloc(SOCKADDR_IN_SIZE);
const addressLength = new Uint32Array(1);
/** sin_family is in host byte order, the port and address in network order. */
const addressFamily = new Uint16Array(address.buffer, address.byteOffset, 1);

/**
 * The destination `socket` had before an iptables REDIRECT, or undefined when there was none: no conntrack
 * entry (ENOENT), an IPv6 socket, or not Linux. Where conntrack tracks the connection without NAT, the kernel
 * answers with the address the connection really reached, which is equally right for the proxy.
 * Throws only on what would be a bug (a closed socket, a bad buffer).
 */
export function originalDestination(socket: net.Socket): HostPort | undefined {
  if (process.platform !== 'linux') return undefined;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error('original destination: the socket has no file descriptor (closed, or not a TCP socket)');
  }
  const { getsockopt, errno } = loadLibc();
  addressLength[0] = SOCKADDR_IN_SIZE;
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, address, addressLength) !== 0) {
    const code = errno();
    if (code === ENOENT || code === ENOPROTOOPT) return undefined;
    throw new Error(`original destination: getsockopt(SO_ORIGINAL_DST) failed with errno ${code}`);
  }
  if (addressFamily[0] !== AF_INET) return undefined;
  return { host: `${address[4]}.${address[5]}.${address[6]}.${address[7]}`, port: address.readUInt16BE(2) };
}

// One proxy's tap stream, as the tap service opens it: weft.tap.Tap/Observe on the proxy's tap port, over mTLS
// with the tap service's own certificate, the proxy's checked against the trust anchors and for the pod's
// identity. Each stream has its own channel, so the certificate in force when the tap opened is the one used.
import * as grpc from '@grpc/grpc-js';
import { formatHostPort, HostPort } from '../../common/address';
import { ClientCertificate, explainTlsFailure, tlsChannel } from '../../common/grpc-tls';
import { ObserveRequest, TapClient, TapEvent } from '../../common/tap-api';

export interface ProxyTapTarget {
  addr: HostPort;
  /** The identity name the proxy's certificate must carry (the pod's). */
  identity: string;
  trustAnchorsPem: string;
}

export interface ProxyTap {
  /** Resolves when the stream ends: with undefined when cancelled here, else why it ended. */
  ended: Promise<string | undefined>;
  cancel(): void;
}

export function observeProxy(target: ProxyTapTarget, client: ClientCertificate, request: ObserveRequest, onEvent: (event: TapEvent) => void): ProxyTap {
  const expected = { name: target.identity, trustAnchorsPem: target.trustAnchorsPem };
  const channel = tlsChannel(expected, client);
  const stub = new TapClient(formatHostPort(target.addr), channel.credentials, channel.options) as unknown as grpc.Client & {
    observe(request: ObserveRequest): grpc.ClientReadableStream<TapEvent>;
  };
  const call = stub.observe(request);
  let cancelled = false;
  call.on('data', onEvent);
  const ended = new Promise<string | undefined>((resolve) => {
    call.on('error', (err: grpc.ServiceError) => resolve(cancelled ? undefined : `${grpc.status[err.code]}: ${explainTlsFailure(err.details, expected)}`));
    call.on('end', () => resolve(cancelled ? undefined : 'the proxy ended the tap'));
  }).finally(() => stub.close());
  return {
    ended,
    cancel() {
      cancelled = true;
      call.cancel();
    },
  };
}

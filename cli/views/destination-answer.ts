// The destination service's first answer for an authority, as a proxy gets it: a Get stream over TLS verified
// against the trust anchors and the service's identity name, read until its first message, then cancelled.
import * as grpc from '@grpc/grpc-js';
import { DestinationClient, GetDestination, Update } from '../../common/destination-api';
import { ExpectedServer, explainTlsFailure, tlsChannel } from '../../common/grpc-tls';

const ANSWER_TIMEOUT_MS = 5000;

export function firstAnswer(addr: string, expected: ExpectedServer, request: GetDestination): Promise<Update> {
  const channel = tlsChannel(expected);
  const client = new DestinationClient(addr, channel.credentials, channel.options) as unknown as grpc.Client & { Get(r: GetDestination, o: grpc.CallOptions): grpc.ClientReadableStream<Update> };
  return new Promise((resolve, reject) => {
    const call = client.Get(request, { deadline: Date.now() + ANSWER_TIMEOUT_MS });
    call.once('data', (update: Update) => {
      resolve(update);
      call.cancel();
    });
    call.once('error', (err: grpc.ServiceError) => {
      if (err.code !== grpc.status.CANCELLED) reject(new Error(`the destination service at ${addr} answered ${grpc.status[err.code]}: ${explainTlsFailure(err.details, expected)}`));
    });
    call.once('close', () => client.close());
  });
}

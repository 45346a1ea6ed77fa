// grpc's interop cases (interop-test-descriptions.md), grpc-js client and server, through every proxied path:
//   one hop:             client → A outbound → server
//   two hops:            client → A outbound → (h2) → B inbound → server
//   two hops with mTLS:  client → C outbound → (h2, mTLS) → D inbound → server
// and Trailers-Only exactness (one HEADERS frame with END_STREAM, headers byte for byte as the server sent them)
// on those paths and inbound only (client → B inbound → server), checked with a raw HTTP/2 client.
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { formatHostPort, HostPort } from '../../common/address';
import { identityName } from '../../common/contract';
import {
  createInteropClients,
  ECHO_INITIAL,
  ECHO_TRAILING_BIN,
  startInteropServer,
  StreamingOutputCallRequest,
  StreamingOutputCallResponse,
  TestServiceClient,
  TestServiceStub,
  zeros,
} from '../fixtures/grpc-interop';
import { startTestIdentityService } from '../fixtures/identity';
import { ProxyProcess, serviceAt, startProxy } from '../fixtures/proxy-process';

const ONE_HOP = 'interop-direct.test.svc.cluster.local:8080';
const TWO_HOPS = 'interop.test.svc.cluster.local:8080';
const SERVER_ID = identityName('interop', 'test');
const DEADLINE_MS = 15_000;
const SPECIAL_MESSAGE = '\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n';

interface Path {
  name: string;
  /** Where the client dials, and the authority it names. */
  target: () => HostPort;
  authority: string;
}

let server: HostPort;
let a: ProxyProcess, b: ProxyProcess, c: ProxyProcess, d: ProxyProcess;

t.before(async () => {
  server = await startInteropServer(t);
  const identity = await startTestIdentityService(t);
  [b, d] = await Promise.all([startProxy(t, { app: server }), startProxy(t, { app: server, identity: identity.proxyEnv('interop') })]);
  [a, c] = await Promise.all([
    startProxy(t, { services: [serviceAt(ONE_HOP, server), serviceAt(TWO_HOPS, b.inbound, { protocol: 'h2' })] }),
    startProxy(t, { identity: identity.proxyEnv('client'), services: [serviceAt(TWO_HOPS, d.inbound, { identity: SERVER_ID })] }),
  ]);
});

const PATHS: Path[] = [
  { name: 'one hop', target: () => a.outbound, authority: ONE_HOP },
  { name: 'two hops', target: () => a.outbound, authority: TWO_HOPS },
  { name: 'two hops with mTLS', target: () => c.outbound, authority: TWO_HOPS },
];

const options = (ms = DEADLINE_MS): grpc.CallOptions => ({ deadline: new Date(Date.now() + ms) });

interface Outcome<T> {
  error: grpc.ServiceError | null;
  reply?: T;
  headers: grpc.Metadata;
  status: grpc.StatusObject;
}

/** Runs a unary or client-streaming call to its status, with the initial metadata it got. */
function settle<T>(start: (callback: (error: grpc.ServiceError | null, reply?: T) => void) => grpc.ClientUnaryCall | grpc.ClientWritableStream<unknown>): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    let error: grpc.ServiceError | null = null;
    let reply: T | undefined;
    let headers = new grpc.Metadata();
    const call = start((e, r) => {
      error = e;
      reply = r;
    });
    call.on('metadata', (md: grpc.Metadata) => (headers = md));
    // The callback runs before 'status'.
    call.on('status', (status: grpc.StatusObject) => resolve({ error, reply, headers, status }));
  });
}

/** Collects a streaming call's responses, initial metadata and status. */
function collect(call: grpc.ClientReadableStream<StreamingOutputCallResponse> | grpc.ClientDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>) {
  const responses: StreamingOutputCallResponse[] = [];
  let headers = new grpc.Metadata();
  call.on('metadata', (md: grpc.Metadata) => (headers = md));
  call.on('data', (r: StreamingOutputCallResponse) => responses.push(r));
  call.on('error', () => {}); // the status says it
  return new Promise<{ responses: StreamingOutputCallResponse[]; headers: grpc.Metadata; status: grpc.StatusObject }>((resolve) =>
    call.on('status', (status: grpc.StatusObject) => resolve({ responses, headers, status })),
  );
}

function echoMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(ECHO_INITIAL, 'test_initial_metadata_value');
  md.set(ECHO_TRAILING_BIN, Buffer.from([0xab, 0xab, 0xab]));
  return md;
}

const sizes = (responses: StreamingOutputCallResponse[]) => responses.map((r) => r.payload?.body.length);

for (const path of PATHS) {
  t.test(path.name, async (t) => {
    const clients = createInteropClients(formatHostPort(path.target()), path.authority);
    t.teardown(() => {
      clients.test.close();
      clients.unimplemented.close();
    });
    const stub: TestServiceStub = clients.test;

    t.test('empty_unary', async (t) => {
      const { error, reply } = await settle((cb) => stub.EmptyCall({}, new grpc.Metadata(), options(), cb));
      t.error(error);
      t.same(reply, {});
    });

    t.test('large_unary', async (t) => {
      const { error, reply } = await settle<{ payload?: { body: Buffer } }>((cb) => stub.UnaryCall({ responseSize: 314159, payload: zeros(271828) }, new grpc.Metadata(), options(), cb));
      t.error(error);
      t.equal(reply?.payload?.body.length, 314159);
      t.ok(reply?.payload?.body.every((byte) => byte === 0), 'all zeros');
    });

    t.test('client_streaming', async (t) => {
      const { error, reply } = await settle<{ aggregatedPayloadSize: number }>((cb) => {
        const call = stub.StreamingInputCall(new grpc.Metadata(), options(), cb);
        for (const size of [27182, 8, 1828, 45904]) call.write({ payload: zeros(size) });
        call.end();
        return call;
      });
      t.error(error);
      t.equal(reply?.aggregatedPayloadSize, 74922);
    });

    t.test('server_streaming', async (t) => {
      const call = stub.StreamingOutputCall({ responseParameters: [31415, 9, 2653, 58979].map((size) => ({ size })) }, new grpc.Metadata(), options());
      const { responses, status } = await collect(call);
      t.equal(status.code, grpc.status.OK, status.details);
      t.same(sizes(responses), [31415, 9, 2653, 58979]);
    });

    t.test('ping_pong', async (t) => {
      const call = stub.FullDuplexCall(new grpc.Metadata(), options());
      const pairs = [
        [31415, 27182],
        [9, 8],
        [2653, 1828],
        [58979, 45904],
      ];
      const received: number[] = [];
      const done = collect(call);
      // One request, then wait for its response before the next: the stream is live both ways at once.
      const next = () => {
        const [responseSize, requestSize] = pairs[received.length];
        call.write({ responseParameters: [{ size: responseSize }], payload: zeros(requestSize) });
      };
      call.on('data', (r: StreamingOutputCallResponse) => {
        received.push(r.payload?.body.length ?? -1);
        if (received.length < pairs.length) next();
        else call.end();
      });
      next();
      const { status } = await done;
      t.equal(status.code, grpc.status.OK, status.details);
      t.same(received, [31415, 9, 2653, 58979]);
    });

    t.test('empty_stream', async (t) => {
      const call = stub.FullDuplexCall(new grpc.Metadata(), options());
      const done = collect(call);
      call.end();
      const { responses, status } = await done;
      t.equal(status.code, grpc.status.OK, status.details);
      t.same(responses, []);
    });

    t.test('status_code_and_message', async (t) => {
      const responseStatus = { code: grpc.status.UNKNOWN, message: 'test status message' };
      const unary = await settle((cb) => stub.UnaryCall({ responseStatus }, new grpc.Metadata(), options(), cb));
      t.equal(unary.status.code, grpc.status.UNKNOWN);
      t.equal(unary.status.details, 'test status message');
      const call = stub.FullDuplexCall(new grpc.Metadata(), options());
      const done = collect(call);
      call.write({ responseStatus });
      call.end();
      const { status } = await done;
      t.equal(status.code, grpc.status.UNKNOWN, 'full duplex too');
      t.equal(status.details, 'test status message');
    });

    t.test('special_status_message', async (t) => {
      const { status } = await settle((cb) => stub.UnaryCall({ responseStatus: { code: grpc.status.UNKNOWN, message: SPECIAL_MESSAGE } }, new grpc.Metadata(), options(), cb));
      t.equal(status.code, grpc.status.UNKNOWN);
      t.equal(status.details, SPECIAL_MESSAGE, 'whitespace, BMP and non-BMP characters arrive unchanged');
    });

    t.test('custom_metadata', async (t) => {
      const unary = await settle<{ payload?: { body: Buffer } }>((cb) => stub.UnaryCall({ responseSize: 314159, payload: zeros(271828) }, echoMetadata(), options(), cb));
      t.error(unary.error);
      t.equal(unary.reply?.payload?.body.length, 314159);
      t.same(unary.headers.get(ECHO_INITIAL), ['test_initial_metadata_value']);
      t.same(unary.status.metadata.get(ECHO_TRAILING_BIN), [Buffer.from([0xab, 0xab, 0xab])]);
      const call = stub.FullDuplexCall(echoMetadata(), options());
      const done = collect(call);
      call.write({ responseParameters: [{ size: 314159 }], payload: zeros(271828) });
      call.end();
      const { responses, headers, status } = await done;
      t.equal(status.code, grpc.status.OK, status.details);
      t.same(sizes(responses), [314159]);
      t.same(headers.get(ECHO_INITIAL), ['test_initial_metadata_value'], 'full duplex: initial metadata');
      t.same(status.metadata.get(ECHO_TRAILING_BIN), [Buffer.from([0xab, 0xab, 0xab])], 'full duplex: trailing -bin metadata');
    });

    t.test('unimplemented_method', async (t) => {
      const { status } = await settle((cb) => stub.UnimplementedCall({}, new grpc.Metadata(), options(), cb));
      t.equal(status.code, grpc.status.UNIMPLEMENTED, status.details);
    });

    t.test('unimplemented_service', async (t) => {
      const { status } = await settle((cb) => clients.unimplemented.UnimplementedCall({}, new grpc.Metadata(), options(), cb));
      t.equal(status.code, grpc.status.UNIMPLEMENTED, status.details);
    });

    t.test('cancel_after_begin', async (t) => {
      const { status } = await settle((cb) => {
        const call = stub.StreamingInputCall(new grpc.Metadata(), options(), cb);
        call.cancel();
        return call;
      });
      t.equal(status.code, grpc.status.CANCELLED);
    });

    t.test('cancel_after_first_response', async (t) => {
      const call = stub.FullDuplexCall(new grpc.Metadata(), options());
      const done = collect(call);
      call.once('data', () => call.cancel());
      call.write({ responseParameters: [{ size: 31415 }], payload: zeros(27182) });
      const { responses, status } = await done;
      t.equal(status.code, grpc.status.CANCELLED);
      t.same(sizes(responses), [31415]);
    });

    t.test('timeout_on_sleeping_server', async (t) => {
      const call = stub.FullDuplexCall(new grpc.Metadata(), options(1));
      const done = collect(call);
      call.write({ payload: zeros(27182) });
      const { status } = await done;
      t.equal(status.code, grpc.status.DEADLINE_EXCEEDED);
    });

    t.test('the proxies on this path are still serving', async (t) => {
      const { error } = await settle((cb) => stub.EmptyCall({}, new grpc.Metadata(), options(), cb));
      t.error(error);
    });
  });
}

interface RawResponse {
  headers: http2.IncomingHttpHeaders;
  endStream: boolean;
  dataBytes: number;
  trailers?: http2.IncomingHttpHeaders;
}

/** One gRPC call with a raw HTTP/2 client, recording the frames' shape: what grpc-js would not show. */
async function rawCall(to: HostPort, authority: string, method: string, message: Buffer, metadata: Record<string, string> = {}): Promise<RawResponse> {
  const session = http2.connect(`http://${formatHostPort(to)}`);
  try {
    session.on('error', () => {});
    const stream = session.request({
      ':method': 'POST',
      ':path': method,
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...metadata,
    });
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    stream.end(frame);
    const response: RawResponse = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response from ${formatHostPort(to)} within ${DEADLINE_MS}ms`)), DEADLINE_MS);
      let result: RawResponse | undefined;
      stream.on('response', (headers, flags) => (result = { headers, endStream: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0, dataBytes: 0 }));
      stream.on('data', (d: Buffer) => result && (result.dataBytes += d.length));
      stream.on('trailers', (trailers) => result && (result.trailers = trailers));
      stream.on('error', reject);
      stream.on('close', () => {
        clearTimeout(timer);
        if (result) resolve(result);
        else reject(new Error(`stream closed without a response (code ${stream.rstCode})`));
      });
    });
    return response;
  } finally {
    session.close();
  }
}

/** Trailers-Only answers grpc-js's server gives, each with what the server put in its one HEADERS frame. */
const TRAILERS_ONLY_CALLS: { name: string; method: string; message: Buffer; metadata: Record<string, string> }[] = [
  { name: 'UNIMPLEMENTED for an unknown method', method: '/grpc.testing.TestService/UnimplementedCall', message: Buffer.alloc(0), metadata: {} },
  { name: 'UNIMPLEMENTED for an unknown service', method: '/grpc.testing.UnimplementedService/UnimplementedCall', message: Buffer.alloc(0), metadata: {} },
  {
    name: 'a failed call with a non-ASCII grpc-message and -bin trailing metadata',
    method: '/grpc.testing.TestService/UnaryCall',
    message: TestServiceClient.service.UnaryCall.requestSerialize({ responseStatus: { code: grpc.status.UNKNOWN, message: SPECIAL_MESSAGE } }),
    metadata: { [ECHO_TRAILING_BIN]: Buffer.from([0xab, 0xab, 0xab]).toString('base64') },
  },
];

const RAW_PATHS: Path[] = [...PATHS, { name: 'inbound only', target: () => b.inbound, authority: TWO_HOPS }];

t.test('Trailers-Only stays one HEADERS frame with END_STREAM, its headers unchanged, on every path', async (t) => {
  for (const call of TRAILERS_ONLY_CALLS) {
    const direct = await rawCall(server, TWO_HOPS, call.method, call.message, call.metadata);
    t.ok(direct.endStream && direct.dataBytes === 0 && !direct.trailers, `the server itself answers ${call.name} Trailers-Only`);
    for (const path of RAW_PATHS) {
      const proxied = await rawCall(path.target(), path.authority, call.method, call.message, call.metadata);
      t.equal(proxied.endStream, true, `${path.name}, ${call.name}: END_STREAM on the response HEADERS`);
      t.equal(proxied.dataBytes, 0, `${path.name}, ${call.name}: no DATA`);
      t.equal(proxied.trailers, undefined, `${path.name}, ${call.name}: no second HEADERS`);
      // `date` is the server's clock at each call, which may tick between the direct and the proxied one.
      const { date: _proxiedDate, ...proxiedHeaders } = proxied.headers;
      const { date: _directDate, ...directHeaders } = direct.headers;
      t.same(proxiedHeaders, directHeaders, `${path.name}, ${call.name}: the same headers as from the server (but its clock)`);
    }
  }
});

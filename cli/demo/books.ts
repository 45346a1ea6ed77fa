// `books`: the gRPC service of the demo (proto/demo.proto). Every call asks `stock`, over plain TCP, how many
// copies are left, so one web request becomes an HTTP hop, a gRPC hop and an opaque TCP hop.
//   books --listen 127.0.0.1:8080 --stock 127.0.0.1:7000                      (stock directly)
//   books --listen … --stock <proxy outbound> --stock-connect stock.demo.svc.cluster.local:7000   (meshed)
import * as grpc from '@grpc/grpc-js';
import { formatHostPort } from '../../common/address';
import { RunningApp, addressFlag, readFlags, runApp } from './app-main';
import { BOOKS_SERVICE, Book, GetBookRequest, ListBooksResponse } from './books-proto';
import { CATALOG, CatalogEntry, findBook } from './catalog';
import { StockRoute, stockCounts } from './stock-client';

const STOCK_TIMEOUT_MS = 2000;
const SHUTDOWN_GRACE_MS = 2000;

class StockError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** Books with their counts, as stock answers; an unreachable stock is UNAVAILABLE, a refused id INTERNAL. */
async function* booksInStock(stock: StockRoute, entries: readonly CatalogEntry[]): AsyncGenerator<Book> {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  try {
    for await (const answer of stockCounts(stock, [...byId.keys()], STOCK_TIMEOUT_MS)) {
      if ('error' in answer) throw new StockError(grpc.status.INTERNAL, `stock: ${answer.error}`);
      yield { ...byId.get(answer.id)!, inStock: answer.count };
    }
  } catch (err) {
    if (err instanceof StockError) throw err;
    throw new StockError(grpc.status.UNAVAILABLE, `stock is unreachable: ${(err as Error).message}`);
  }
}

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof StockError) return { code: err.code, details: err.message };
  return { code: grpc.status.UNKNOWN, details: String(err) };
}

function handlers(stock: StockRoute): grpc.UntypedServiceImplementation {
  return {
    ListBooks: async (_call: grpc.ServerUnaryCall<unknown, ListBooksResponse>, reply: grpc.sendUnaryData<ListBooksResponse>) => {
      try {
        const books: Book[] = [];
        for await (const book of booksInStock(stock, CATALOG)) books.push(book);
        reply(null, { books });
      } catch (err) {
        reply(toStatus(err));
      }
    },
    StreamBooks: async (call: grpc.ServerWritableStream<unknown, Book>) => {
      try {
        for await (const book of booksInStock(stock, CATALOG)) call.write(book);
        call.end();
      } catch (err) {
        call.emit('error', toStatus(err));
      }
    },
    GetBook: async (call: grpc.ServerUnaryCall<GetBookRequest, Book>, reply: grpc.sendUnaryData<Book>) => {
      const entry = findBook(call.request.id);
      if (!entry) return reply({ code: grpc.status.NOT_FOUND, details: `no book with id ${JSON.stringify(call.request.id)}` });
      try {
        for await (const book of booksInStock(stock, [entry])) return reply(null, book);
      } catch (err) {
        reply(toStatus(err));
      }
    },
  };
}

async function start(argv: string[]): Promise<RunningApp> {
  const flags = readFlags(argv, ['listen', 'stock', 'stock-connect']);
  const listen = addressFlag(flags, 'listen');
  const stock: StockRoute = { addr: addressFlag(flags, 'stock'), connectAuthority: flags['stock-connect'] };
  const server = new grpc.Server();
  server.addService(BOOKS_SERVICE, handlers(stock));
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(formatHostPort(listen), grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  return {
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

if (require.main === module) runApp('books', start);

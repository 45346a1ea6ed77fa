// `web`: the HTTP/1 front end of the demo. Each page is a gRPC call to `books`:
//   GET /            ListBooks (unary), the whole list at once
//   GET /books       StreamBooks (server streaming), one line per book as it arrives
//   GET /books/<id>  GetBook: 404 for an unknown id, 500 for the book whose stock always fails
// Text by default, JSON with `Accept: application/json`.
//   web --listen 127.0.0.1:8080 --books 127.0.0.1:8081                           (books directly)
//   web --listen … --books <proxy outbound> --books-authority books.demo.svc.cluster.local:8080   (meshed:
//   the proxy routes gRPC by :authority)
import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { formatHostPort } from '../../common/address';
import { listen as listenOn } from '../../common/listen';
import { RunningApp, addressFlag, readFlags, runApp } from './app-main';
import { Book, BooksClient, ListBooksResponse } from './books-proto';

const CALL_DEADLINE_MS = 3000;
const CLOSE_GRACE_MS = 1000;

interface Books extends grpc.Client {
  ListBooks(req: object, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: ListBooksResponse) => void): void;
  StreamBooks(req: object, options: grpc.CallOptions): grpc.ClientReadableStream<Book>;
  GetBook(req: { id: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Book) => void): void;
}

const HTTP_STATUS_FOR_GRPC: Partial<Record<grpc.status, number>> = {
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

function renderBook(book: Book): string {
  return `${book.id.padStart(3)}  ${book.title} (${book.author}): ${book.inStock} in stock\n`;
}

class Pages {
  constructor(private readonly books: Books) {}

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const json = /application\/json/.test(req.headers.accept ?? '');
    const path = (req.url ?? '/').replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0];
    const bookId = /^\/books\/([^/]+)$/.exec(path)?.[1];
    if (req.method !== 'GET') return this.send(res, 405, json, { error: 'only GET is served here' });
    if (path === '/') return this.list(res, json);
    if (path === '/books') return this.stream(res, json);
    if (bookId !== undefined) return this.one(res, json, decodeURIComponent(bookId));
    this.send(res, 404, json, { error: `no page ${path}; try / or /books` });
  }

  private list(res: http.ServerResponse, json: boolean): void {
    this.books.ListBooks({}, deadline(), (err, answer) => {
      if (err) return this.failed(res, json, err);
      const books = answer!.books;
      this.send(res, 200, json, json ? { books } : `weft demo bookshop: ${books.length} books\n${books.map(renderBook).join('')}`);
    });
  }

  private stream(res: http.ServerResponse, json: boolean): void {
    const call = this.books.StreamBooks({}, deadline());
    call.on('data', (book: Book) => {
      if (!res.headersSent) res.writeHead(200, { 'content-type': json ? 'application/x-ndjson' : 'text/plain; charset=utf-8' });
      res.write(json ? `${JSON.stringify(book)}\n` : renderBook(book));
    });
    call.on('end', () => (res.headersSent ? res.end() : this.send(res, 200, json, json ? [] : 'no books\n')));
    call.on('error', (err: grpc.ServiceError) => (res.headersSent ? res.destroy(err) : this.failed(res, json, err)));
  }

  private one(res: http.ServerResponse, json: boolean, id: string): void {
    this.books.GetBook({ id }, deadline(), (err, book) => {
      if (err) return this.failed(res, json, err);
      this.send(res, 200, json, json ? book! : renderBook(book!));
    });
  }

  private failed(res: http.ServerResponse, json: boolean, err: grpc.ServiceError): void {
    this.send(res, HTTP_STATUS_FOR_GRPC[err.code] ?? 500, json, { error: `books: ${err.details || err.message}` });
  }

  private send(res: http.ServerResponse, status: number, json: boolean, body: string | object): void {
    const text = json ? JSON.stringify(body) : typeof body === 'string' ? body : `${(body as { error: string }).error}\n`;
    res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' }).end(text);
  }
}

function deadline(): grpc.CallOptions {
  return { deadline: Date.now() + CALL_DEADLINE_MS };
}

async function start(argv: string[]): Promise<RunningApp> {
  const flags = readFlags(argv, ['listen', 'books', 'books-authority']);
  const listen = addressFlag(flags, 'listen');
  const authority = flags['books-authority'];
  const options: grpc.ChannelOptions = authority ? { 'grpc.default_authority': authority } : {};
  const books = new BooksClient(formatHostPort(addressFlag(flags, 'books')), grpc.credentials.createInsecure(), options) as unknown as Books;
  const pages = new Pages(books);
  const server = http.createServer((req, res) => pages.handle(req, res));
  await listenOn(server, listen, 'the app');
  return {
    // The gRPC channel closes last: a request still in flight must not find it shut.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          books.close();
          resolve();
        });
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      }),
  };
}

if (require.main === module) runApp('web', start);

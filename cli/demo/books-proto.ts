// proto/demo.proto, loaded once for both sides of the `books` service (the server and web's client).
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from '../../common/entrypoint';

export interface Book {
  id: string;
  title: string;
  author: string;
  inStock: number;
}

export interface ListBooksResponse {
  books: Book[];
}

export interface GetBookRequest {
  id: string;
}

const definition = protoLoader.loadSync(path.join(REPO_ROOT, 'proto', 'demo.proto'), {
  keepCase: false,
  defaults: true,
  longs: Number,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  weft: { demo: { Books: grpc.ServiceClientConstructor } };
};

export const BooksClient = loaded.weft.demo.Books;
export const BOOKS_SERVICE: grpc.ServiceDefinition = BooksClient.service;

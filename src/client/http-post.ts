/**
 * One POST of a unary gateway call over node:http, not fetch(): a CLI command's first fetch()
 * loads and starts undici and compiles its llhttp WebAssembly, tens of milliseconds that were
 * the largest single part of `cairn get`'s start-up (bench/RESULTS.md, "CLI start"). Errors
 * keep the shapes connection-error.ts reads: socket errors carry their code, a timeout is a
 * `TimeoutError`, as AbortSignal.timeout makes for fetch().
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { tlsConnectOptions, type TlsClientOptions } from '../util/tls-options.js';

export interface PostAnswer {
  readonly status: number;
  readonly text: string;
}

function timeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`the operation timed out after ${timeoutMs} ms`), { name: 'TimeoutError' });
}

type Requester = (url: URL, options: RequestOptions, onResponse: (res: IncomingMessage) => void) => ClientRequest;

/** node:https (and TLS with it) loads only for an https:// endpoint. */
async function requesterFor(url: URL): Promise<Requester> {
  return url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
}

/** POSTs `body`, resolving with the status and the whole answer; the timeout covers both. */
export async function postText(url: URL, body: string, headers: Readonly<Record<string, string>>, timeoutMs: number, tls?: TlsClientOptions): Promise<PostAnswer> {
  const request = await requesterFor(url);
  const trust = url.protocol === 'https:' ? tlsConnectOptions(tls) : {};
  return new Promise<PostAnswer>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: unknown) => {
      clearTimeout(timer);
      reject(err);
    };
    const req = request(url, { ...trust, method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    timer = setTimeout(() => req.destroy(timeoutError(timeoutMs)), timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
}

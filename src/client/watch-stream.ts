/**
 * A raw `/v3/watch` stream to one endpoint: the request body stays open and carries create,
 * cancel and progress requests as JSON; responses arrive as `{"result":…}` values. Responses
 * are buffered up to a bound; past it the stream is closed (the consumer is too slow).
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WatchRequest, WatchResponse, WatchStream } from '../api/kv.js';
import { decodeMessage, encodeMessage, JsonStreamReader, kvErrorFromBody } from '../api/json.js';
import { WatchRequestDesc, WatchResponseDesc } from '../api/json/messages-watch.js';
import type { JsonValue } from '../api/json/parse.js';
import { KvError } from '../util/errors.js';
import { tlsConnectOptions, type TlsClientOptions } from '../util/tls-options.js';

const MAX_BUFFERED_RESPONSES = 1024;
const MAX_MESSAGE_CHARS = 64 * 1024 * 1024;

export class HttpWatchStream implements WatchStream {
  private readonly req: ClientRequest;
  private readonly buffered: WatchResponse[] = [];
  private waiting: ((r: IteratorResult<WatchResponse>) => void) | undefined;
  private failWaiting: ((err: unknown) => void) | undefined;
  private ended = false;
  private error: unknown;

  constructor(readonly endpoint: string, headers: Record<string, string> = {}, tls?: TlsClientOptions) {
    const url = new URL('/v3/watch', endpoint);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const secure = url.protocol === 'https:' ? tlsConnectOptions(tls) : {};
    this.req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...secure });
    const reader = new JsonStreamReader(MAX_MESSAGE_CHARS);
    this.req.on('response', (res) => {
      res.on('data', (chunk: Buffer) => {
        try {
          for (const value of reader.push(chunk)) this.onValue(value);
        } catch (err) {
          this.finish(err);
        }
      });
      res.on('end', () => this.finish(new KvError('WatchCanceled', `cairn client: watch stream to ${endpoint} ended`)));
      res.on('error', (err) => this.finish(err));
    });
    this.req.on('error', (err) => this.finish(err));
    this.req.flushHeaders();
  }

  send(request: WatchRequest): void {
    if (this.ended) throw this.error ?? new KvError('WatchCanceled');
    this.req.write(encodeMessage(WatchRequestDesc, request));
  }

  close(): void {
    this.finish(undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    return {
      next: () => {
        const r = this.buffered.shift();
        if (r !== undefined) return Promise.resolve({ value: r, done: false });
        if (this.ended) return this.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.error);
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private onValue(value: JsonValue): void {
    // The stream reader yields objects as Maps (it keeps Go's JSON semantics).
    const v = value instanceof Map ? value : new Map<string, JsonValue>();
    const error = v.get('error');
    if (error instanceof Map) {
      const message = String(error.get('message') ?? 'watch stream error');
      const code = Number(String(error.get('grpc_code') ?? 2));
      throw kvErrorFromBody({ error: message, message, code });
    }
    const response = decodeMessage(WatchResponseDesc, v.get('result'));
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      this.failWaiting = undefined;
      waiting({ value: response, done: false });
      return;
    }
    if (this.buffered.length >= MAX_BUFFERED_RESPONSES) throw new KvError('WatchCanceled', 'cairn client: watch consumer too slow; stream closed');
    this.buffered.push(response);
  }

  private finish(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    this.req.destroy();
    const waiting = this.waiting;
    const fail = this.failWaiting;
    this.waiting = undefined;
    this.failWaiting = undefined;
    if (err === undefined) waiting?.({ value: undefined, done: true });
    else fail?.(err);
  }
}

/** Building an app over the fake service and talking to it, by inject() or over a real socket. */
import type { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import type { AppOptions } from '../../src/http/app.js';
import { FakeService } from './fake-service.js';

export function newApp(opts: Partial<AppOptions> = {}): { app: FastifyInstance; service: FakeService } {
  const service = new FakeService();
  return { app: buildApp({ service, ...opts }), service };
}

export async function post(app: FastifyInstance, url: string, body: string | object = '', headers: Record<string, string> = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return app.inject({ method: 'POST', url, payload, headers });
}

export async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

/** A streaming HTTP exchange: the request body stays open; the response is read line by line. */
export class LineStream {
  readonly req: ClientRequest;
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  ended = false;
  status = 0;
  headers: IncomingHttpHeaders = {};
  readonly responded: Promise<void>;
  private response: IncomingMessage | undefined;

  constructor(port: number, method: string, path: string, headers: Record<string, string> = {}) {
    this.req = httpRequest({ host: '127.0.0.1', port, method, path, headers });
    this.req.on('error', () => undefined);
    this.responded = new Promise((resolve) => {
      this.req.on('response', (res) => {
        this.response = res;
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.buffered += chunk;
          const parts = this.buffered.split('\n');
          this.buffered = parts.pop() ?? '';
          this.lines.push(...parts);
          this.waiter?.();
        });
        res.on('end', () => {
          this.ended = true;
          if (this.buffered !== '') this.lines.push(this.buffered);
          this.buffered = '';
          this.waiter?.();
        });
        res.on('error', () => undefined);
        resolve();
      });
    });
    this.req.flushHeaders();
  }

  /** Stops reading the response (the server sees a slow client). */
  pause(): void {
    this.response?.pause();
  }

  resume(): void {
    this.response?.resume();
  }

  send(text: string): void {
    this.req.write(text);
  }

  endBody(): void {
    this.req.end();
  }

  /** The next line, or undefined once the response ended. Fails after `ms`. */
  async next(ms = 2000): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a line');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** The next non-empty line parsed as JSON. */
  async nextJson(ms = 2000): Promise<unknown> {
    for (;;) {
      const line = await this.next(ms);
      if (line === undefined) throw new Error('stream ended');
      if (line.trim() !== '') return JSON.parse(line);
    }
  }

  /** Lines already received, without waiting. */
  pending(): string[] {
    return [...this.lines];
  }

  close(): void {
    this.req.destroy();
  }
}

/**
 * Registers vitest hooks that listen on 127.0.0.1:0 before the file's tests and, after them,
 * close every stream opened through `open` and the app.
 */
export function servedOverSocket(app: FastifyInstance, hooks: { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<void>) => void }) {
  let port = 0;
  const streams: LineStream[] = [];
  hooks.beforeAll(async () => {
    port = await listen(app);
  });
  hooks.afterAll(async () => {
    for (const s of streams) s.close();
    await app.close();
  });
  return {
    open(method: string, path: string, headers: Record<string, string> = {}): LineStream {
      const s = new LineStream(port, method, path, headers);
      streams.push(s);
      return s;
    },
  };
}

/** A hand-driven HTTP/1.1 client over a raw socket, for tests that control what is sent and when. */
import * as net from 'node:net';
import { b64 } from '../api/examples.js';

/** A hand-driven HTTP/1.1 client: what it sends and when is up to the test. */
export class RawHttp {
  text = '';
  readonly closed: Promise<void>;
  readonly localPort: number | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (this.text += chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    this.localPort = socket.localPort;
  }

  static async connect(port: number): Promise<RawHttp> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawHttp(socket);
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** Writes one byte of `text` every `everyMs` until it is all sent or the socket closes. */
  async drip(text: string, everyMs: number): Promise<void> {
    for (const ch of text) {
      if (this.socket.destroyed) return;
      this.write(ch);
      await sleep(everyMs);
    }
  }

  async until(re: RegExp, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!re.test(this.text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(this.text)}`);
      await sleep(5);
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const closedWithin = (c: RawHttp, ms: number) => Promise.race([c.closed.then(() => true), sleep(ms).then(() => false)]);
/** A whole `/v3/kv/put` request, as raw HTTP/1.1 text. */
export const putRequest = (key: string, value: string) => {
  const body = JSON.stringify({ key: b64(key), value: b64(value) });
  return `POST /v3/kv/put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
};


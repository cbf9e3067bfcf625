/**
 * The plain API's watch (`GET /kv/<prefix>?watch&prefix`, Server-Sent Events) read with fetch
 * rather than EventSource, so the login token can go in a header. One message per revision;
 * pieces of a large revision (`"fragment":true`, no id) are joined until the message with an id.
 */
import { request, errorFrom } from './api.js';
import type { GwKv } from './api.js';

export interface WatchEvent {
  readonly type?: 'PUT' | 'DELETE';
  readonly kv: GwKv;
  readonly prev_kv?: GwKv;
}

export interface WatchHandlers {
  /** The comment the stream opens with: `watching at revision R`. */
  onStart(revision: number): void;
  onRevision(revision: number, events: readonly WatchEvent[]): void;
  /** The stream ended on its own: compacted, canceled, error, or the connection closed. */
  onEnd(reason: string): void;
}

export async function watchPrefix(path: string, handlers: WatchHandlers, signal: AbortSignal): Promise<void> {
  const res = await request(path, { signal, headers: { accept: 'text/event-stream' } });
  if (!res.ok || res.body === null) throw await errorFrom(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let pieces: WatchEvent[] = [];
  const dispatch = (block: string): boolean => {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        const m = /watching at revision (\d+)/.exec(line);
        if (m !== null) handlers.onStart(Number(m[1]));
      } else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return true;
    const body = JSON.parse(data.join('\n')) as { revision?: string; events?: WatchEvent[]; compact_revision?: string; message?: string };
    if (event === 'compacted') {
      handlers.onEnd(`revision compacted (compact revision ${body.compact_revision ?? '?'})`);
      return false;
    }
    if (event !== 'message') {
      handlers.onEnd(`${event}: ${body.message ?? data.join('')}`);
      return false;
    }
    pieces = pieces.concat(body.events ?? []);
    if (id === undefined) return true;
    handlers.onRevision(Number(id), pieces);
    pieces = [];
    return true;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!dispatch(block)) return;
      }
    }
    handlers.onEnd('the member closed the stream');
  } finally {
    reader.releaseLock();
  }
}

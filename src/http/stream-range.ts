/**
 * A range response written to the socket as it is encoded (issue 15: one full range of 100k keys
 * was built as one 36.7 MB JSON string, peaking at 637 MB). The text is byte for byte what
 * `encodeMessage(RangeResponseDesc, res)` gives — header, kvs, more, count in field order, and
 * `more`/`count` come after the kvs, so nothing has to be known ahead — but it leaves in chunks
 * of about CHUNK_CHARS, each written once the socket has drained the previous one; that wait is
 * also where a long encoding yields the event loop. Small responses go out whole, as before.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { RangeResponse } from '../api/kv.js';
import { encodeMessage } from '../api/json.js';
import { KeyValueDesc, RangeResponseDesc, ResponseHeaderDesc } from '../api/json/messages-kv.js';
import { assert } from '../util/assert.js';
import { sendJson } from './reply.js';
import { drained } from './stream.js';

/** Below this many bytes of keys and values a response is encoded whole. */
const STREAM_FROM_BYTES = 1024 * 1024;
const CHUNK_CHARS = 64 * 1024;

function rawBytes(res: RangeResponse): number {
  let n = 0;
  for (const kv of res.kvs) n += kv.key.length + kv.value.length;
  return n;
}

export async function sendRange(reply: FastifyReply, res: RangeResponse): Promise<unknown> {
  if (res.kvs.length === 0 || rawBytes(res) < STREAM_FROM_BYTES) return sendJson(reply, 200, encodeMessage(RangeResponseDesc, res));
  // The response without kvs is `{"header":H` + rest; the kvs field goes right after the header.
  const withoutKvs = encodeMessage(RangeResponseDesc, { ...res, kvs: [] });
  const head = `{"header":${encodeMessage(ResponseHeaderDesc, res.header)}`;
  assert(withoutKvs.startsWith(head), 'range response JSON does not start with its header');
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'application/json' });
  let chunk = `${head},"kvs":[`;
  for (let i = 0; i < res.kvs.length; i++) {
    chunk += (i === 0 ? '' : ',') + encodeMessage(KeyValueDesc, res.kvs[i]);
    if (chunk.length < CHUNK_CHARS) continue;
    if (!(await write(raw, chunk))) return reply;
    chunk = '';
  }
  raw.end(`${chunk}]${withoutKvs.slice(head.length)}`);
  return reply;
}

/** False once the client has gone (the rest is not encoded). */
async function write(raw: ServerResponse, text: string): Promise<boolean> {
  if (raw.destroyed) return false;
  if (!raw.write(text)) await drained(raw);
  return !raw.destroyed;
}

/**
 * `snapshot save <file>`: streams Maintenance.Snapshot from one member into `<file>.part`,
 * checks the trailing SHA-256 chunk against the bytes before it, then renames the file.
 * As with etcdctl, the saved file keeps that 32-byte hash at its end (restore checks it).
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { decodeStreamItem, JsonStreamReader } from '../../api/json.js';
import { SnapshotChunkDesc } from '../../api/json/messages-maintenance.js';
import { bytesEqual } from '../../util/bytes.js';
import { CliError, UsageError } from './cli-error.js';
import type { Command } from './context.js';

const SHA256_BYTES = 32;
const MAX_STREAM_MESSAGE_CHARS = 1024 * 1024;

export const snapshotSaveCommand: Command = {
  name: 'snapshot save',
  usage: 'snapshot save <filename>',
  summary: 'Stores an etcd node backend snapshot to a given file',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('snapshot save expects one argument');
    const endpoints = ctx.globals.endpoints;
    if (endpoints.length !== 1) throw new UsageError(`snapshot must be requested to one selected node, not multiple [${endpoints.join(' ')}]`);
    const file = ctx.args[0] as string;
    const part = `${file}.part`;
    const base = /^https?:\/\//.test(endpoints[0] as string) ? (endpoints[0] as string) : `http://${endpoints[0]}`;
    const res = await fetch(new URL('/v3/maintenance/snapshot', base), { method: 'POST', body: '{}', signal: ctx.io.signal });
    if (!res.ok || res.body === null) throw new CliError(`snapshot request failed: ${res.status} ${(await res.text()).slice(0, 200)}`);
    const out = await open(part, 'w');
    const sha = createHash('sha256');
    // The newest chunk is held back: only the last one is the hash, not data.
    let last: Uint8Array | undefined;
    let total = 0;
    try {
      const reader = new JsonStreamReader(MAX_STREAM_MESSAGE_CHARS);
      for await (const chunk of res.body) {
        for (const value of reader.push(chunk)) {
          const blob = decodeStreamItem(SnapshotChunkDesc, value).blob;
          if (last !== undefined) sha.update(last);
          await out.write(blob);
          total += blob.length;
          last = blob;
        }
      }
      await out.sync();
    } catch (err) {
      await out.close();
      await rm(part, { force: true });
      throw err;
    }
    await out.close();
    if (last === undefined || last.length !== SHA256_BYTES || !bytesEqual(new Uint8Array(sha.digest()), last)) {
      await rm(part, { force: true });
      throw new CliError('snapshot: the received data does not match its SHA-256 trailer');
    }
    await rename(part, file);
    ctx.io.sink.out(`Snapshot saved at ${file}\n`);
    ctx.io.sink.err(`snapshot: ${total - SHA256_BYTES} bytes and a SHA-256 trailer from ${endpoints[0]}\n`);
  },
};

/**
 * `snapshot save <file>`: streams Maintenance.Snapshot from one member into `<file>.part`,
 * checks the trailing SHA-256 chunk against the bytes before it, then renames the file.
 * As with etcdctl, the saved file keeps that 32-byte hash at its end (restore checks it).
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { BackendRecord } from '../../storage/backend-chunks.js';

/** `snapshot save` files are 0600 whatever the umask, as etcdctl writes them (the data dir's own files are too). */
const PRIVATE_FILE_MODE = 0o600;
import { humanizeBytes } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { decodeStreamItem, JsonStreamReader } from '../../api/json.js';
import { SnapshotChunkDesc } from '../../api/json/messages-maintenance.js';
import { bytesEqual } from '../../util/bytes.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
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
    // etcdctl 3.4 exits ExitInterrupted (5) for this one.
    if (endpoints.length !== 1) throw new CliError(`snapshot must be requested to one selected node, not multiple [${endpoints.join(' ')}]`, ExitCode.Interrupted);
    const file = ctx.args[0] as string;
    const part = `${file}.part`;
    const base = /^https?:\/\//.test(endpoints[0] as string) ? (endpoints[0] as string) : `http://${endpoints[0]}`;
    // Loaded here: undici (behind tlsFetch) costs every other command's start-up time.
    const { tlsFetch } = await import('../../util/tls-fetch.js');
    const res = await tlsFetch(ctx.globals.tls)(new URL('/v3/maintenance/snapshot', base), { method: 'POST', body: '{}', signal: ctx.io.signal });
    if (!res.ok || res.body === null) throw new CliError(`snapshot request failed: ${res.status} ${(await res.text()).slice(0, 200)}`);
    // etcdctl writes snapshots 0600 (fileutil.PrivateFileMode): the file holds every key. fchmod
    // too, since open's mode is masked by the umask and ignored for a .part left by a failed run.
    const out = await open(part, 'w', PRIVATE_FILE_MODE);
    await out.chmod(PRIVATE_FILE_MODE);
    const sha = createHash('sha256');
    // The newest chunk is held back: only the last one is the hash, not data.
    let last: Uint8Array | undefined;
    let total = 0;
    // Progress on stderr, at most once a second (etcdctl draws a bar; a line keeps logs readable).
    let lastProgress = Date.now();
    try {
      const reader = new JsonStreamReader(MAX_STREAM_MESSAGE_CHARS);
      for await (const chunk of res.body) {
        for (const value of reader.push(chunk)) {
          const blob = decodeStreamItem(SnapshotChunkDesc, value).blob;
          if (last !== undefined) sha.update(last);
          await out.write(blob);
          total += blob.length;
          if (Date.now() - lastProgress >= 1000) {
            lastProgress = Date.now();
            ctx.io.sink.err(`snapshot: ${humanizeBytes(total)} received\n`);
          }
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

/** What a snapshot file holds (etcdutl `snapshot status`): the body's chunks, decoded. */
async function readSnapshotFile(file: string): Promise<{ body: Uint8Array; records: BackendRecord[] }> {
  const data = new Uint8Array(await readFile(file));
  if (data.length < SHA256_BYTES) throw new CliError(`snapshot file ${file} is too short`);
  const body = data.subarray(0, data.length - SHA256_BYTES);
  const trailer = data.subarray(data.length - SHA256_BYTES);
  if (!bytesEqual(new Uint8Array(createHash('sha256').update(body).digest()), trailer)) {
    throw new CliError(`snapshot file integrity check failed: ${file}`);
  }
  const { decodeChunks } = await import('../../storage/backend-chunks.js');
  const records: BackendRecord[] = [];
  for await (const chunk of decodeChunks((async function* () {
    yield body;
  })())) records.push(...chunk);
  return { body, records };
}

export const snapshotStatusCommand: Command = {
  name: 'snapshot status',
  usage: 'snapshot status <filename>',
  summary: 'Gets backend snapshot status of a given file',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('snapshot status requires exactly one argument');
    const file = ctx.args[0] as string;
    const { body, records } = await readSnapshotFile(file);
    const [{ decodeRevKey }, { crc32c }] = await Promise.all([import('../../store/revision.js'), import('../../util/crc.js')]);
    let revision = 0;
    let totalKeys = 0;
    for (const [bucket, key] of records) {
      if (bucket !== 'key') continue;
      totalKeys++;
      revision = Math.max(revision, decodeRevKey(key).rev.main);
    }
    const hash = crc32c(body);
    const size = body.length + SHA256_BYTES;
    const out = ctx.io.sink;
    switch (ctx.globals.writeOut) {
      case 'json':
        out.out(`${JSON.stringify({ hash, revision, totalKey: totalKeys, totalSize: size })}\n`);
        break;
      case 'table':
        out.out(renderTable(['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'], [[hash.toString(16), String(revision), String(totalKeys), humanizeBytes(size)]]));
        break;
      default:
        out.out(`${hash.toString(16)}, ${revision}, ${totalKeys}, ${humanizeBytes(size)}\n`);
    }
  },
};

export const snapshotRestoreCommand: Command = {
  name: 'snapshot restore',
  usage: 'snapshot restore <filename> --data-dir {output dir} [options]',
  summary: 'Restores a member data directory from a snapshot file, as the first member of a new cluster',
  flags: [
    { name: 'data-dir', kind: 'string', help: 'Path to the data directory (default "<name>.cairn")' },
    { name: 'name', kind: 'string', help: 'Human-readable name for this member (default "default")' },
    { name: 'initial-cluster', kind: 'string', help: 'Initial cluster configuration for restore bootstrap' },
    { name: 'initial-cluster-token', kind: 'string', help: 'Initial cluster token for the cluster during restore bootstrap' },
    { name: 'initial-advertise-peer-urls', kind: 'string', help: "List of this member's peer URLs to advertise to the rest of the cluster" },
    { name: 'skip-hash-check', kind: 'bool', help: 'Ignore snapshot integrity hash value (required if copied from data directory)' },
  ],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('snapshot restore requires exactly one argument');
    // The server's modules load only here: every other client command starts without them.
    const [{ defaultConfig, validateConfig }, { restoreSnapshotFile }, { parseInitialCluster }] = await Promise.all([
      import('../../server/config.js'), import('../../server/restore.js'), import('../serve-flags.js'),
    ]);
    const file = ctx.args[0] as string;
    const name = (ctx.flags.get('name') as string | undefined) ?? 'default';
    const peerUrls = ((ctx.flags.get('initial-advertise-peer-urls') as string | undefined) ?? 'http://localhost:2380').split(',');
    const initial = (ctx.flags.get('initial-cluster') as string | undefined) ?? `${name}=${peerUrls.join(`,${name}=`)}`;
    const initialCluster = parseInitialCluster(initial.split(','));
    const config = validateConfig({
      ...defaultConfig(name),
      dataDir: (ctx.flags.get('data-dir') as string | undefined) ?? `${name}.cairn`,
      initialAdvertisePeerUrls: peerUrls,
      listenPeerUrls: peerUrls,
      initialCluster,
      initialClusterToken: (ctx.flags.get('initial-cluster-token') as string | undefined) ?? 'etcd-cluster',
    });
    ctx.io.sink.err(`restoring ${file} into ${config.dataDir}: checking and loading the backend\n`);
    const result = await restoreSnapshotFile(file, config, { skipHashCheck: ctx.flags.get('skip-hash-check') === true });
    const self = result.members.find((m) => m.name === name);
    ctx.io.sink.out(`restored snapshot ${file} into ${config.dataDir} (member ${self?.id.toString(16) ?? '?'}, cluster ${result.clusterId.toString(16)})\n`);
  },
};

/**
 * Peer transport throughput: MsgApp frames between two TcpTransports over loopback, and the
 * codec alone (encode + decode + validate of one batch frame) with msgpackr records on (what the
 * transport uses) and off. Writes its section of bench/RESULTS.md.
 *
 *   npm run bench:transport -- --messages 100000
 */
import { Packr } from 'msgpackr';
import { parseArgs } from 'node:util';
import type { Message } from '../src/raft/messages.js';
import type { NodeId } from '../src/raft/types.js';
import { TcpTransport } from '../src/transport/tcp-transport.js';
import { validateFrame } from '../src/transport/frames.js';
import type { MsgSnap, TransportHandler } from '../src/transport/transport.js';
import { machineFacts, writeSection } from './wal-report.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    dry: { type: 'boolean', default: false },
  },
});
const totalMessages = Number(values.messages);

interface Shape {
  readonly name: string;
  readonly entriesPerMessage: number;
  readonly entryBytes: number;
}

const shapes: Shape[] = [
  { name: 'small: 1 entry × 128 B', entriesPerMessage: 1, entryBytes: 128 },
  { name: 'batched: 8 entries × 1 KiB', entriesPerMessage: 8, entryBytes: 1024 },
  { name: 'large: 16 entries × 16 KiB', entriesPerMessage: 16, entryBytes: 16 * 1024 },
];

function makeApp(i: number, shape: Shape, payload: Uint8Array): Message {
  const base = i * shape.entriesPerMessage;
  const entries = Array.from({ length: shape.entriesPerMessage }, (_, k) => ({ term: 3, index: base + k + 1, type: 'normal' as const, data: payload }));
  return { type: 'MsgApp', from: 1, to: 2, term: 3, index: base, logTerm: 3, commit: base, entries };
}

class CountingHandler implements TransportHandler {
  received = 0;
  onDone: (() => void) | undefined;
  target = Infinity;
  onMessages(batch: Message[]): void {
    this.received += batch.length;
    if (this.received >= this.target) this.onDone?.();
  }
  onUnreachable(_id: NodeId): void {}
  async onSnapshot(_msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of data) void chunk;
  }
  onSnapshotStatus(): void {}
}

async function loopback(shape: Shape, messages: number) {
  const ha = new CountingHandler();
  const hb = new CountingHandler();
  const a = new TcpTransport({ id: 1, clusterId: 'bench', listenUrl: 'http://127.0.0.1:0', handler: ha });
  const b = new TcpTransport({ id: 2, clusterId: 'bench', listenUrl: 'http://127.0.0.1:0', handler: hb });
  await a.start();
  await b.start();
  a.addPeer(2, [b.url]);
  b.addPeer(1, [a.url]);
  // Wait for the stream, then warm up.
  while (a.stats().peers[0]?.active !== true) await new Promise((r) => setTimeout(r, 5));
  const payload = new Uint8Array(shape.entryBytes).fill(7);
  hb.target = messages;
  const done = new Promise<void>((resolve) => (hb.onDone = resolve));
  const start = performance.now();
  let sent = 0;
  while (sent < messages) {
    // Stay well under the queue bounds, as raft's inflight window would.
    const queued = a.stats().peers[0];
    if ((queued?.queuedMessages ?? 0) > 1024 || (queued?.queuedBytes ?? 0) > 16 << 20) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    const batch: Message[] = [];
    for (let k = 0; k < batchSize(shape) && sent < messages; k++) batch.push(makeApp(sent++, shape, payload));
    a.send(batch);
    await new Promise((r) => setImmediate(r));
  }
  const dropped = () => a.stats().peers[0]?.droppedMessages ?? 0;
  while (hb.received + dropped() < messages) await Promise.race([done, new Promise((r) => setTimeout(r, 50))]);
  const seconds = (performance.now() - start) / 1000;
  const stats = a.stats().peers[0]!;
  await a.stop();
  await b.stop();
  const payloadBytes = messages * shape.entriesPerMessage * shape.entryBytes;
  return {
    msgsPerSec: messages / seconds,
    entriesPerSec: (messages * shape.entriesPerMessage) / seconds,
    payloadMBs: payloadBytes / seconds / 1e6,
    wireMBs: stats.sentBytes / seconds / 1e6,
    dropped: stats.droppedMessages,
    seconds,
  };
}

/** Messages per frame as the transport would cut them (maxBatchBytes = 1 MiB), at most 64. */
function batchSize(shape: Shape): number {
  return Math.max(1, Math.min(64, Math.floor((1 << 20) / (shape.entriesPerMessage * (shape.entryBytes + 24) + 48))));
}

function codec(useRecords: boolean, shape: Shape): { msgsPerSec: number; bytesPerMsg: number } {
  const packr = new Packr({ useRecords });
  const payload = new Uint8Array(shape.entryBytes).fill(7);
  const perFrame = batchSize(shape);
  const msgs = Array.from({ length: perFrame }, (_, i) => makeApp(i, shape, payload));
  const frame = { k: 'msgs', msgs };
  let size = 0;
  const rounds = Math.max(20, Math.floor((8 << 20) / (perFrame * shape.entriesPerMessage * shape.entryBytes)));
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    const bytes = packr.pack(frame);
    size = bytes.length;
    validateFrame(packr.unpack(Uint8Array.prototype.slice.call(bytes)));
  }
  const seconds = (performance.now() - start) / 1000;
  return { msgsPerSec: (rounds * perFrame) / seconds, bytesPerMsg: size / perFrame };
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const facts = machineFacts(process.cwd());
  const rows: string[] = [];
  for (const shape of shapes) {
    const n = shape.entryBytes * shape.entriesPerMessage > 64 * 1024 ? Math.max(200, Math.floor(totalMessages / 100)) : totalMessages;
    await loopback(shape, Math.min(n, 200)); // warm-up
    const r = await loopback(shape, n);
    rows.push(`| ${shape.name} | ${n} | ${f0(r.msgsPerSec)} | ${f0(r.entriesPerSec)} | ${f1(r.payloadMBs)} | ${f1(r.wireMBs)} | ${r.dropped} |`);
    console.log(rows.at(-1));
  }
  // The machine is shared: interleave the two settings and keep each one's best of five.
  const codecRows: string[] = [];
  for (const shape of shapes) {
    const best = new Map<boolean, { msgsPerSec: number; bytesPerMsg: number }>();
    for (let trial = 0; trial < 5; trial++) {
      for (const useRecords of [false, true]) {
        const r = codec(useRecords, shape);
        if ((best.get(useRecords)?.msgsPerSec ?? 0) < r.msgsPerSec) best.set(useRecords, r);
      }
    }
    for (const useRecords of [false, true]) {
      const r = best.get(useRecords)!;
      codecRows.push(`| ${shape.name} | ${useRecords ? 'on (used)' : 'off'} | ${f0(r.msgsPerSec)} | ${f1(r.bytesPerMsg)} |`);
      console.log(codecRows.at(-1));
    }
  }
  const md = [
    '## Peer transport throughput (`bench/transport-throughput.ts`)',
    '',
    `Command: \`npm run bench:transport -- --messages ${totalMessages}\``,
    '',
    facts,
    '',
    'Two TcpTransports on 127.0.0.1 in one process (sender and receiver share one core of the event loop);',
    'the sender keeps at most ~1024 messages queued, as raft\'s inflight window would. payload = entry bytes;',
    'wire = frame bytes written (headers, envelopes, msgpack overhead).',
    '',
    '| shape | MsgApps | msgs/s | entries/s | payload MB/s | wire MB/s | dropped |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Codec alone: encode + copy + decode + validate of one batch frame (64 messages, or fewer to stay near 1 MiB), by msgpackr `useRecords`; best of 5 interleaved trials.',
    '',
    '| shape | records | msgs/s | bytes/msg |',
    '| --- | --- | --- | --- |',
    ...codecRows,
  ].join('\n');
  if (!values.dry) writeSection('transport-throughput', md);
}

await main();

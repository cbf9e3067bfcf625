/**
 * Peer transport throughput: MsgApp frames between two TcpTransports over loopback, and the
 * codec alone (encode + decode + validate of one batch frame) with msgpackr records off (what the
 * transport uses) and on. Writes its section of bench/RESULTS.md.
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
    // Stay under the queue bound, as raft's inflight window would.
    if ((a.stats().peers[0]?.queuedMessages ?? 0) > 1024) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    const batch: Message[] = [];
    for (let k = 0; k < 64 && sent < messages; k++) batch.push(makeApp(sent++, shape, payload));
    a.send(batch);
    await new Promise((r) => setImmediate(r));
  }
  await done;
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

function codec(useRecords: boolean, shape: Shape): { framesPerSec: number; msgsPerSec: number; bytesPerMsg: number } {
  const packr = new Packr({ useRecords, copyBuffers: true });
  const payload = new Uint8Array(shape.entryBytes).fill(7);
  const msgs = Array.from({ length: 64 }, (_, i) => makeApp(i, shape, payload));
  const frame = { k: 'msgs', msgs };
  let size = 0;
  const rounds = Math.max(50, Math.floor(20_000 / shape.entriesPerMessage / Math.max(1, shape.entryBytes / 512)));
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    const bytes = packr.pack(frame);
    size = bytes.length;
    validateFrame(packr.unpack(bytes));
  }
  const seconds = (performance.now() - start) / 1000;
  return { framesPerSec: rounds / seconds, msgsPerSec: (rounds * 64) / seconds, bytesPerMsg: size / 64 };
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const facts = machineFacts(process.cwd());
  const rows: string[] = [];
  for (const shape of shapes) {
    const n = shape.entryBytes * shape.entriesPerMessage > 64 * 1024 ? Math.max(1000, Math.floor(totalMessages / 20)) : totalMessages;
    await loopback(shape, Math.min(n, 2000)); // warm-up
    const r = await loopback(shape, n);
    rows.push(`| ${shape.name} | ${n} | ${f0(r.msgsPerSec)} | ${f0(r.entriesPerSec)} | ${f1(r.payloadMBs)} | ${f1(r.wireMBs)} | ${r.dropped} |`);
    console.log(rows.at(-1));
  }
  const codecRows: string[] = [];
  for (const shape of shapes) {
    for (const useRecords of [false, true]) {
      codec(useRecords, shape);
      const r = codec(useRecords, shape);
      codecRows.push(`| ${shape.name} | ${useRecords ? 'on' : 'off (used)'} | ${f0(r.msgsPerSec)} | ${f1(r.bytesPerMsg)} |`);
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
    'Codec alone: encode + decode + validate of one 64-message batch frame, by msgpackr `useRecords`.',
    '',
    '| shape | records | msgs/s | bytes/msg |',
    '| --- | --- | --- | --- |',
    ...codecRows,
  ].join('\n');
  if (!values.dry) writeSection('transport-throughput', md);
}

await main();

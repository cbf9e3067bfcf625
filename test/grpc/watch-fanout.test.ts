/**
 * A fan-out over gRPC: many watchers of one key, several to a stream, must each get the very
 * bytes a lone watcher gets for every event (cairn encodes an event once and shares the bytes
 * among every watcher that carries it, src/grpc/watch-encode.ts). Responses are read raw, as the
 * bytes on the wire, and the lone watcher's events are also decoded and checked against the
 * writes, so shared bytes that were wrong for everyone would fail too. Runs against etcd 3.4
 * as well where it is installed.
 */
import { Client, credentials, loadPackageDefinition, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCairn, startEtcd, type Endpoints } from './servers.js';

type Msg = Record<string, unknown>;
type Method = { requestSerialize(m: Msg): Buffer; responseDeserialize(b: Buffer): Msg };
type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;

const loaded = loadSync(['rpc.proto'], { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String, enums: String, defaults: true });
const watchMethod = (loaded['etcdserverpb.Watch'] as unknown as Record<string, Method>)['Watch'] as Method;
const KV = (loadPackageDefinition(loaded) as unknown as { etcdserverpb: Record<string, Ctor> }).etcdserverpb['KV'] as Ctor;

/** Top-level fields of one message: watch_id (2), created (3) and each event's bytes (11), as sent. */
function readWire(buf: Buffer): { watchId: bigint; created: boolean; events: Buffer[] } {
  const out = { watchId: 0n, created: false, events: [] as Buffer[] };
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    if ((key & 7) === 0) {
      const v = varint();
      if (field === 2) out.watchId = BigInt.asIntN(64, v);
      if (field === 3) out.created = v !== 0n;
    } else if ((key & 7) === 2) {
      const len = Number(varint());
      if (field === 11) out.events.push(buf.subarray(pos, pos + len));
      pos += len;
    } else {
      throw new Error(`unexpected wire type in ${buf.toString('hex')}`);
    }
  }
  return out;
}

interface RawStream {
  readonly call: ClientDuplexStream<Msg, Buffer>;
  /** Event bytes per watch ID, in the order received. */
  readonly events: Map<bigint, Buffer[]>;
  /** Whole responses that carried events, for decoding. */
  readonly messages: Buffer[];
  created: number;
}

function openStream(client: Client): RawStream {
  const call = client.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', (m: Msg) => watchMethod.requestSerialize(m), (b: Buffer) => b);
  const s: RawStream = { call, events: new Map(), messages: [], created: 0 };
  call.on('data', (b: Buffer) => {
    const r = readWire(b);
    if (r.created) s.created++;
    if (r.events.length === 0) return;
    s.messages.push(b);
    const list = s.events.get(r.watchId) ?? [];
    list.push(...r.events);
    s.events.set(r.watchId, list);
  });
  call.on('error', () => undefined);
  return s;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function put(kv: Client, method: 'Put' | 'DeleteRange', req: Msg): Promise<Msg> {
  return new Promise((resolve, reject) => {
    (kv as unknown as Record<string, (r: Msg, cb: (e: ServiceError | null, r: Msg) => void) => void>)[method]?.(req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const STREAMS = 3;
const PER_STREAM = 40;
const KEY = Buffer.from('fan/key');
const VALUES = [Buffer.from('one'), Buffer.alloc(100_000, 'b'), Buffer.from('three')];

function suite(name: string, start: () => Promise<Endpoints | undefined>): void {
  describe(name, () => {
    let servers: Endpoints | undefined;
    const clients: Client[] = [];
    beforeAll(async () => {
      servers = await start();
    }, 60_000);
    afterAll(async () => {
      for (const c of clients) c.close();
      await servers?.stop();
    });

    it('gives every watcher of a fan-out the bytes a lone watcher gets', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const host = servers.hosts[0] as string;
      const client = (): Client => {
        const c = new Client(host, credentials.createInsecure());
        clients.push(c);
        return c;
      };
      const create = { create_request: { key: KEY, prev_kv: true } };
      const lone = openStream(client());
      lone.call.write(create);
      const fan = Array.from({ length: STREAMS }, () => openStream(client()));
      for (const s of fan) for (let i = 0; i < PER_STREAM; i++) s.call.write(create);
      await until('every watch created', () => lone.created === 1 && fan.every((s) => s.created === PER_STREAM));

      const kv = new KV(host, credentials.createInsecure());
      clients.push(kv);
      for (const value of VALUES) await put(kv, 'Put', { key: KEY, value });
      await put(kv, 'DeleteRange', { key: KEY, prev_kv: true });
      const total = VALUES.length + 1;
      const count = (s: RawStream): number => [...s.events.values()].reduce((n, l) => n + l.length, 0);
      await until('every event', () => count(lone) === total && fan.every((s) => count(s) === total * PER_STREAM));

      // The lone watcher's events are the writes, each with the value before it.
      const decoded = lone.messages.flatMap((b) => watchMethod.responseDeserialize(b)['events'] as Msg[]);
      expect(decoded.map((e) => [e['type'], (e['kv'] as Msg)['value'], (e['prev_kv'] as Msg | null)?.['value']])).toEqual([
        ['PUT', VALUES[0], undefined],
        ['PUT', VALUES[1], VALUES[0]],
        ['PUT', VALUES[2], VALUES[1]],
        ['DELETE', Buffer.alloc(0), VALUES[2]],
      ]);
      const expected = ([...lone.events.values()][0] ?? []).map((b) => b.toString('hex'));
      for (const s of fan) {
        expect(s.events.size).toBe(PER_STREAM);
        for (const events of s.events.values()) expect(events.map((b) => b.toString('hex'))).toEqual(expected);
      }
      for (const s of [lone, ...fan]) s.call.cancel();
    }, 60_000);
  });
}

suite('cairn', () => startCairn(1));
suite('etcd 3.4', () => startEtcd());

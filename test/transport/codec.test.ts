import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { FrameDecoder, FrameError, decodePayload, encodeFrame, encodePayload, frameDecoderResets, setFrameDecoderForTest } from '../../src/transport/codec.js';
import { decodeFrame, validateFrame } from '../../src/transport/frames.js';
import { MalformedMessage, validateMessage } from '../../src/transport/validate.js';
import { isKvError } from '../../src/util/errors.js';
import { sampleMessages, wireMessageArb, wireMessageArbs } from './arbitraries.js';

const MAX = 1 << 20;

function roundTrip(msgs: readonly Message[]): Message[] {
  const frame = encodeFrame({ k: 'msgs', msgs }, MAX);
  const payloads = new FrameDecoder(MAX).push(frame);
  expect(payloads).toHaveLength(1);
  const decoded = validateFrame(decodePayload(payloads[0]!));
  if (decoded.k !== 'msgs') throw new Error('wrong frame kind');
  return [...decoded.msgs];
}

describe('codec round trip', () => {
  for (const [type, arb] of Object.entries(wireMessageArbs)) {
    it(`round-trips every ${type}`, () => {
      fc.assert(fc.property(fc.array(arb as fc.Arbitrary<Message>, { minLength: 1, maxLength: 5 }), (msgs) => {
        expect(roundTrip(msgs)).toEqual(msgs);
      }), { numRuns: 30 });
    });
  }

  it('hands out plain Uint8Arrays backed by their own frame, not the socket chunk', () => {
    const frame = encodeFrame({ k: 'msgs', msgs: sampleMessages(1, 2) }, MAX);
    const chunk = Buffer.concat([frame, encodeFrame({ k: 'ping', t: 1 }, MAX), Buffer.alloc(3)]);
    const [payload] = new FrameDecoder(MAX).push(chunk);
    const decoded = validateFrame(decodePayload(payload!));
    if (decoded.k !== 'msgs') throw new Error('wrong frame kind');
    const app = decoded.msgs.find((m) => m.type === 'MsgApp');
    if (app?.type !== 'MsgApp') throw new Error('no MsgApp');
    const data = app.entries[0]!.data;
    expect(data.constructor).toBe(Uint8Array);
    expect(data.buffer.byteLength).toBe(frame.length - 4);
    chunk.fill(0);
    expect(Array.from(data)).toEqual([11, 1, 2]);
  });
});

describe('FrameDecoder', () => {
  it('reassembles frames split at every possible boundary and packed many per chunk', () => {
    fc.assert(
      fc.property(fc.array(wireMessageArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(64), { maxLength: 20 }), (msgs, cuts) => {
        const frames = msgs.map((m) => encodeFrame({ k: 'msgs', msgs: [m] }, MAX));
        const stream = Buffer.concat(frames);
        const decoder = new FrameDecoder(MAX);
        const out: Message[] = [];
        let at = 0;
        for (const cut of [...cuts, stream.length]) {
          const end = Math.min(stream.length, at + cut);
          for (const p of decoder.push(stream.subarray(at, end))) {
            const f = validateFrame(decodePayload(p));
            if (f.k === 'msgs') out.push(...f.msgs);
          }
          at = end;
        }
        expect(out).toEqual(msgs);
        expect(decoder.pendingBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps a partial frame until the rest arrives, even a split length prefix', () => {
    const frame = encodeFrame({ k: 'ping', t: 5 }, MAX);
    const decoder = new FrameDecoder(MAX);
    expect(decoder.push(frame.subarray(0, 2))).toEqual([]);
    expect(decoder.push(frame.subarray(2, 5))).toEqual([]);
    expect(decoder.pendingBytes).toBe(5);
    const [payload] = decoder.push(frame.subarray(5));
    expect(validateFrame(decodePayload(payload!))).toEqual({ k: 'ping', t: 5 });
  });

  it('refuses a length above the limit before buffering it, and stays failed', () => {
    const decoder = new FrameDecoder(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff, 0);
    expect(() => decoder.push(header)).toThrow(FrameError);
    expect(decoder.pendingBytes).toBe(0);
    expect(() => decoder.push(encodeFrame({ k: 'welcome' }, MAX))).toThrow(/exceeds the limit/);
  });

  it('refuses to encode a frame above the limit', () => {
    expect(() => encodeFrame({ k: 'snapChunk', data: new Uint8Array(2048), crc: 0 }, 1024)).toThrow(FrameError);
  });
});

/** Any failure must be a KvError; anything else (TypeError, RangeError) would be a crash path. */
function rejectsCleanly(payload: Uint8Array): void {
  try {
    validateFrame(decodePayload(payload));
  } catch (err) {
    if (!isKvError(err)) throw err;
  }
}

describe('decoder fuzzing', () => {
  it('random bytes never escape as anything but a KvError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => rejectsCleanly(bytes)), { numRuns: 1000 });
  });

  it('truncated and bit-flipped valid frames never escape as anything but a KvError', () => {
    fc.assert(
      fc.property(fc.array(wireMessageArb, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), fc.nat(255), (msgs, cut, flipAt, flip) => {
        const payload = encodePayload({ k: 'msgs', msgs });
        rejectsCleanly(payload.subarray(0, cut % payload.length));
        const flipped = Uint8Array.from(payload);
        const i = flipAt % flipped.length;
        flipped[i] = (flipped[i] as number) ^ flip;
        rejectsCleanly(flipped);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects msgpack that claims huge arrays, maps, strings and binaries without allocating them', () => {
    const huge = [
      [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4G elements
      [0xdf, 0xff, 0xff, 0xff, 0xff], // map32
      [0xdb, 0xff, 0xff, 0xff, 0xff], // str32
      [0xc6, 0xff, 0xff, 0xff, 0xff], // bin32
      [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01], // ext32
      [0x81, 0xa1, 0x6b, 0xa4, 0x6d, 0x73, 0x67, 0x73], // {k:'msgs'} and nothing else
    ];
    const before = process.memoryUsage().heapUsed;
    for (const bytes of huge) expect(() => validateFrame(decodePayload(Uint8Array.from(bytes)))).toThrow(FrameError);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('message validation', () => {
  const good = sampleMessages(1, 2);
  const raw = new Packr({ useRecords: false });

  it('accepts every sample', () => {
    for (const m of good) expect(validateMessage(m)).toEqual(m);
  });

  it('rejects each sample with any one field removed', () => {
    for (const m of good) {
      for (const key of Object.keys(m)) {
        const broken: Record<string, unknown> = { ...m };
        delete broken[key];
        expect(() => validateMessage(broken), `${m.type} without ${key}`).toThrow(MalformedMessage);
      }
    }
  });

  it('rejects each sample with any one field of the wrong type', () => {
    const wrongFor = (v: unknown): unknown[] => {
      if (typeof v === 'number') return ['7', -1, 1.5, null, true, [], new Uint8Array(1), 2 ** 60, Number.NaN, Infinity];
      if (typeof v === 'boolean') return [1, 'true', null, []];
      if (typeof v === 'string') return ['MsgNope', 5, null];
      if (v instanceof Uint8Array) return ['x', [1, 2], 5, null, {}];
      if (Array.isArray(v)) return ['x', {}, null, 5, [5], new Uint8Array(2)];
      return [null, 'x', {}, [], 5];
    };
    for (const m of good) {
      for (const [key, value] of Object.entries(m)) {
        for (const w of wrongFor(value)) {
          expect(() => validateMessage({ ...m, [key]: w }), `${m.type}.${key} = ${String(w)}`).toThrow(MalformedMessage);
        }
      }
    }
  });

  it('rejects local message types, unknown types and malformed entries', () => {
    for (const type of ['MsgHup', 'MsgBeat', 'MsgUnreachable', 'MsgSnapStatus', 'MsgCheckQuorum', 'MsgForgetLeader', 'MsgNope', '__proto__']) {
      expect(() => validateMessage({ type, from: 1, to: 2, term: 1 })).toThrow(MalformedMessage);
    }
    const app = good.find((m) => m.type === 'MsgApp')!;
    const badEntries: unknown[] = [
      [{ term: 1, index: 1, type: 'weird', data: new Uint8Array() }],
      [{ term: -1, index: 1, type: 'normal', data: new Uint8Array() }],
      [{ term: 1, index: 1, type: 'normal', data: 'text' }],
      [null],
      'not a list',
    ];
    for (const entries of badEntries) expect(() => validateMessage({ ...app, entries })).toThrow(MalformedMessage);
  });

  it('rejects bigints and lossy integers that msgpack can carry', () => {
    const big = raw.unpack(raw.pack({ type: 'MsgVoteResp', from: 1, to: 2, term: 2n ** 62n, reject: false }));
    expect(() => validateMessage(big)).toThrow(MalformedMessage);
  });

  it('drops unknown extra fields instead of passing them to raft', () => {
    const m = { ...good[5]!, extra: 'x', __proto__: { polluted: true } };
    const v = validateMessage(m) as unknown as Record<string, unknown>;
    expect(v['extra']).toBeUndefined();
    expect(v['polluted']).toBeUndefined();
  });
});

describe('decodeFrame (chaos finding F1: a decoder that went bad)', () => {
  it('recovers from a broken shared decoder by switching to a fresh one, with a warning', () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const resets = frameDecoderResets();
      // A decoder in the state F1 suggests: every payload decodes to something that is not a frame.
      setFrameDecoderForTest({ unpack: () => new Map([['k', 'ping']]) });
      expect(decodeFrame(encodePayload({ k: 'ping', t: 1 }))).toEqual({ k: 'ping', t: 1 });
      expect(frameDecoderResets()).toBe(resets + 1);
      expect(String(emitWarning.mock.calls[0]?.[0])).toMatch(/fresh decoder/);
      // The replacement is kept: the next frame decodes without another reset.
      expect(decodeFrame(encodeFrame({ k: 'msgs', msgs: sampleMessages(1, 2) }, MAX).subarray(4))).toMatchObject({ k: 'msgs' });
      expect(frameDecoderResets()).toBe(resets + 1);
    } finally {
      emitWarning.mockRestore();
    }
  });

  it('still refuses a bad frame, naming its length and first bytes', () => {
    const resets = frameDecoderResets();
    const notAFrame = encodePayload({ hello: 'world' });
    expect(() => decodeFrame(notAFrame)).toThrow(/unknown frame kind undefined \(payload \d+ bytes, starting [0-9a-f]+\)/);
    expect(() => decodeFrame(Uint8Array.from([0xc1]))).toThrow(FrameError);
    expect(frameDecoderResets()).toBe(resets);
  });

  it('decodes a plain msgpack map as an object, never as a Map', () => {
    const plain = new Packr({ useRecords: false }).pack({ k: 'pong', t: 3 });
    expect(decodeFrame(plain)).toEqual({ k: 'pong', t: 3 });
  });
});

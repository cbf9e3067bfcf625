/**
 * The join query and the removed-member refusal over real sockets: a joiner that knows only its
 * peer URLs learns its ID and the member table; a member the listener's table lists as removed
 * is refused with `memberRemoved`, and the dialer hands that to its member.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { validateFrame } from '../../src/transport/frames.js';
import { REMOVED_MESSAGE, type JoinAnswer, type PeerHandler } from '../../src/transport/handshake.js';
import { TcpTransport, queryJoinOverTcp } from '../../src/transport/tcp-transport.js';
import { KvError } from '../../src/util/errors.js';
import { RecordingHandler, waitFor } from './helpers.js';

const started: TcpTransport[] = [];

afterEach(async () => {
  for (const t of started.splice(0)) await t.stop();
});

const ANSWER: JoinAnswer = {
  clusterId: 0xabcdef,
  memberId: 42,
  members: [
    { id: 1, name: 'm1', peerUrls: ['http://127.0.0.1:1'], clientUrls: ['http://127.0.0.1:2'], isLearner: false },
    { id: 42, name: '', peerUrls: ['http://joiner:2380'], clientUrls: [], isLearner: true },
  ],
};

class MembershipHandler extends RecordingHandler implements PeerHandler {
  readonly removedNotices: string[] = [];
  answerJoin(peerUrls: readonly string[]) {
    if (peerUrls.length === 1 && peerUrls[0] === 'http://joiner:2380') return ANSWER;
    return { reason: 'notMember' as const, message: `cairn: no member with peer URLs ${peerUrls.join(',')} in this cluster; run member add first` };
  }
  isRemoved(id: number): boolean {
    return id === 7;
  }
  onRemoved(message: string): void {
    this.removedNotices.push(message);
  }
}

async function listen(id: number, handler: PeerHandler): Promise<TcpTransport> {
  const t = new TcpTransport({ id, clusterId: 'c1', handler, listenUrl: 'http://127.0.0.1:0', backoff: { minMs: 5, maxMs: 40 }, pingIntervalMs: 50 });
  started.push(t);
  await t.start();
  return t;
}

function heartbeat(from: number, to: number): Message {
  return { type: 'MsgHeartbeat', from, to, term: 1, commit: 0, context: new Uint8Array(0) } as unknown as Message;
}

describe('join query over TCP', () => {
  it('answers the cluster ID, the joiner\'s ID and the member table', async () => {
    const listener = await listen(1, new MembershipHandler());
    expect(await queryJoinOverTcp(listener.url, ['http://joiner:2380'], undefined)).toEqual(ANSWER);
  });

  it('refuses a joiner the member table does not list, with the listener\'s reason', async () => {
    const listener = await listen(1, new MembershipHandler());
    const err = await queryJoinOverTcp(listener.url, ['http://stranger:2380'], undefined).catch((e: unknown) => e as KvError);
    expect(err).toBeInstanceOf(KvError);
    expect((err as KvError).message).toMatch(/no member with peer URLs http:\/\/stranger:2380 in this cluster; run member add first/);
  });

  it('refuses join queries when the member gives the transport no membership hooks', async () => {
    const listener = await listen(1, new RecordingHandler());
    await expect(queryJoinOverTcp(listener.url, ['http://joiner:2380'], undefined)).rejects.toThrow(/does not answer join queries/);
  });

  it('reports an unreachable peer as a connection error', async () => {
    const listener = await listen(1, new MembershipHandler());
    const url = listener.url;
    await listener.stop();
    const err = await queryJoinOverTcp(url, ['http://joiner:2380'], undefined, 300).catch((e: unknown) => e as KvError);
    expect((err as KvError).code).toBe('TimeoutDueToConnectionLost');
  });
});

describe('removed member refusal', () => {
  it('refuses a removed member with memberRemoved, and its transport tells its member', async () => {
    const listenerHandler = new MembershipHandler();
    const listener = await listen(1, listenerHandler);
    const removedHandler = new MembershipHandler();
    const removed = await listen(7, removedHandler);
    removed.addPeer(1, [listener.url]);
    removed.send([heartbeat(7, 1)]);
    await waitFor(() => removedHandler.removedNotices.length > 0, 'the removed member to be told');
    expect(removedHandler.removedNotices[0]).toContain(REMOVED_MESSAGE);
    expect(listenerHandler.messages).toHaveLength(0);
    expect(listener.stats().refusedConnections).toBeGreaterThan(0);
  });

  it('refuses an unknown (not removed) peer without the removal notice', async () => {
    const listener = await listen(1, new MembershipHandler());
    const strangerHandler = new MembershipHandler();
    const stranger = await listen(8, strangerHandler);
    stranger.addPeer(1, [listener.url]);
    stranger.send([heartbeat(8, 1)]);
    await waitFor(() => stranger.stats().peers[0]?.lastError !== undefined, 'the refusal');
    expect(stranger.stats().peers[0]?.lastError?.message).toMatch(/does not know peer 8/);
    expect(strangerHandler.removedNotices).toHaveLength(0);
  });
});

describe('join frames', () => {
  it('validate their fields and bounds', () => {
    expect(validateFrame({ k: 'join', version: 1, peerUrls: ['http://a:1'] })).toEqual({ k: 'join', version: 1, peerUrls: ['http://a:1'] });
    expect(() => validateFrame({ k: 'join', version: 1, peerUrls: 'http://a:1' })).toThrow(KvError);
    expect(() => validateFrame({ k: 'join', version: 1, peerUrls: Array.from({ length: 33 }, () => 'u') })).toThrow(KvError);
    expect(() => validateFrame({ k: 'joinInfo', clusterId: 1, memberId: 2, members: [{ id: 2, name: 'x' }] })).toThrow(KvError);
    expect(() => validateFrame({ k: 'joinInfo', clusterId: -1, memberId: 2, members: [] })).toThrow(KvError);
    expect(validateFrame({ k: 'refuse', reason: 'memberRemoved', message: 'gone' })).toEqual({ k: 'refuse', reason: 'memberRemoved', message: 'gone' });
  });
});

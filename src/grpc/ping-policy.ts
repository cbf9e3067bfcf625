/**
 * etcd's --grpc-keepalive-min-time, enforced as grpc-go's server does (keepalive.EnforcementPolicy
 * with PermitWithoutStream false, which is what etcd installs): a client PING that comes sooner
 * than min-time after the previous one is a strike (without an open stream, sooner than two
 * hours); the third strike answers GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and closes the
 * connection. The server sending HEADERS or DATA forgives every strike: a client whose pings
 * interleave with answers is never cut. Verified beside etcd 3.4.23 (test/grpc/ping-policy.test.ts).
 *
 * grpc-js 1.14 has no server ping policy, so this sits on Node's HTTP/2 session: its 'ping'
 * event reports every PING received (not the ACKs of the server's own keepalive pings).
 */
import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';

/** grpc-go's maxPingStrikes: strikes beyond this many close the connection. */
const MAX_PING_STRIKES = 2;
/** grpc-go's defaultPingTimeout: without an open stream, a client has no reason to ping sooner. */
const IDLE_PING_INTERVAL_MS = 2 * 60 * 60 * 1000;
/** grpc-go's defaultKeepalivePolicyMinTime, used when etcd's flag is 0 (etcd installs no policy then). */
const DEFAULT_MIN_TIME_MS = 5 * 60 * 1000;

/** The bookkeeping of one connection, apart from the session so it can be tested on a clock. */
export class PingStrikes {
  private readonly minTimeMs: number;
  private lastPingAt: number | undefined;
  private strikes = 0;
  private forgiven = false;

  constructor(minTimeMs: number) {
    this.minTimeMs = minTimeMs > 0 ? minTimeMs : DEFAULT_MIN_TIME_MS;
  }

  /** The server sent HEADERS or DATA: the next ping starts the count afresh (grpc-go's resetPingStrikes). */
  sent(): void {
    this.forgiven = true;
  }

  /** A PING arrived at `now` with `openStreams` streams open; true when the connection must go. */
  received(now: number, openStreams: number): boolean {
    const last = this.lastPingAt;
    this.lastPingAt = now;
    if (this.forgiven) {
      this.forgiven = false;
      this.strikes = 0;
      return false;
    }
    const allowedMs = openStreams > 0 ? this.minTimeMs : IDLE_PING_INTERVAL_MS;
    if (last !== undefined && now - last < allowedMs) this.strikes++;
    return this.strikes > MAX_PING_STRIKES;
  }
}

/** The stream methods that put HEADERS or DATA frames on the wire (what grpc-js calls to answer). */
const SENDING_METHODS = ['respond', 'write', 'end', 'sendTrailers'] as const;

function onEverySend(stream: ServerHttp2Stream, sent: () => void): void {
  const target = stream as unknown as Record<(typeof SENDING_METHODS)[number], (...args: unknown[]) => unknown>;
  for (const name of SENDING_METHODS) {
    const original = target[name];
    target[name] = function (this: unknown, ...args: unknown[]) {
      sent();
      return original.apply(this, args);
    };
  }
}

/** Watches one server session's pings; `now` is the clock (injected for tests). */
export function enforcePingPolicy(session: Http2Session, minTimeMs: number, now: () => number = Date.now): void {
  const strikes = new PingStrikes(minTimeMs);
  let openStreams = 0;
  let lastStreamId = 0;
  // Before grpc-js's own listener, so its first answer on the stream is seen too.
  session.prependListener('stream', (stream: ServerHttp2Stream) => {
    openStreams++;
    lastStreamId = Math.max(lastStreamId, stream.id ?? 0);
    stream.once('close', () => openStreams--);
    onEverySend(stream, () => strikes.sent());
  });
  session.on('ping', () => {
    if (!strikes.received(now(), openStreams) || session.destroyed) return;
    // grpc-go's goAway{closeConn: true}: the ping's ACK, the GOAWAY, then the connection ends,
    // streams and all. Destroying in this same callback would drop the ACK nghttp2 has queued.
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, lastStreamId, Buffer.from('too_many_pings'));
    setImmediate(() => session.destroy());
  });
}

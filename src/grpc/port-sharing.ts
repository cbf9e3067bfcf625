/**
 * One client port for gRPC and HTTP/1.1, as etcd's cmux does on plain http:// URLs: a connection
 * that opens with the 24-byte HTTP/2 client preface is gRPC, any other is the gateway's
 * (etcd-grpc.md §1.1; so h2c without gRPC is not served, as in etcd). The sniffer sits in front
 * of the HTTP server's own connection handling. Under TLS etcd picks by ALPN `h2`; cairn has no
 * TLS on client URLs yet (serve.ts refuses https://), so that branch does not exist here.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A client that sends nothing this long is handed to HTTP/1.1, whose own timeouts apply. */
const SNIFF_TIMEOUT_MS = 10_000;

/** True once `head` cannot be the start of the preface; undefined while it still may be. */
function isHttp1(head: Buffer): boolean | undefined {
  const n = Math.min(head.length, PREFACE.length);
  if (!head.subarray(0, n).equals(PREFACE.subarray(0, n))) return true;
  return n === PREFACE.length ? false : undefined;
}

/** Reads the first bytes of `socket`, puts them back and hands the socket on. */
function sniff(socket: Socket, toHttp1: (s: Socket) => void, toGrpc: (s: Socket) => void): void {
  let head = Buffer.alloc(0);
  const decide = (http1: boolean): void => {
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.setTimeout(0);
    socket.off('timeout', onTimeout);
    socket.pause();
    if (head.length > 0) socket.unshift(head);
    if (http1) {
      toHttp1(socket);
      socket.resume();
    } else {
      // No resume(): the HTTP/2 session reads the unshifted preface itself; resuming would drop it.
      toGrpc(socket);
    }
  };
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const http1 = isHttp1(head);
    if (http1 !== undefined) decide(http1);
  };
  // A client that closes before its first bytes decide anything has nothing to be answered.
  // Handing the socket on would lose the 'end' the HTTP server needs to close its half (it runs
  // sockets half-open), leaving the connection counted against --max-connections for ever.
  const onEnd = (): void => {
    socket.off('data', onData);
    socket.off('timeout', onTimeout);
    socket.destroy();
  };
  const onTimeout = (): void => decide(true);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.setTimeout(SNIFF_TIMEOUT_MS);
  socket.on('timeout', onTimeout);
}

/** Routes the connections `http` accepts: HTTP/2-preface ones to `grpc`, the rest to `http` as before. */
export function shareWithGrpc(http: Server, grpc: (socket: Socket) => void): void {
  const http1Listeners = http.listeners('connection') as Array<(socket: Socket) => void>;
  http.removeAllListeners('connection');
  http.on('connection', (socket: Socket) =>
    sniff(
      socket,
      (s) => {
        for (const listener of http1Listeners) listener.call(http, s);
      },
      grpc,
    ),
  );
}

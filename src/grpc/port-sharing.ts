/**
 * One client port for gRPC and HTTP/1.1, as etcd's cmux does on plain http:// URLs: a connection
 * that opens with the 24-byte HTTP/2 client preface is gRPC, any other is the gateway's
 * (etcd-grpc.md §1.1; so h2c without gRPC is not served, as in etcd). The sniffer sits in front
 * of the HTTP server's own connection handling. Under TLS the choice is made by ALPN instead
 * (shareTlsWithGrpc): the bytes are encrypted, and the handshake already says who speaks what.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';

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

/**
 * The TLS server's ALPN choice. gRPC clients (grpc-go, grpc-js) offer only `h2`; curl and
 * browsers offer `h2` and `http/1.1` and are given HTTP/1.1, which the gateway speaks (etcd serves
 * both over its HTTP/2 server and splits by content type; cairn's gateway is HTTP/1.1 only).
 * A client offering neither is refused in the handshake.
 */
export function chooseAlpn({ protocols }: { protocols: string[] }): string | undefined {
  if (protocols.includes('http/1.1')) return 'http/1.1';
  if (protocols.includes('h2')) return 'h2';
  return undefined;
}

/** Routes the TLS connections `https` accepts: ALPN `h2` to `grpc`, the rest (HTTP/1.1, or no ALPN) to `https` as before. */
export function shareTlsWithGrpc(https: TlsServer, grpc: (socket: Socket) => void): void {
  const http1Listeners = https.listeners('secureConnection') as Array<(socket: TLSSocket) => void>;
  https.removeAllListeners('secureConnection');
  https.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') grpc(socket);
    else for (const listener of http1Listeners) listener.call(https, socket);
  });
}

/**
 * One port, two protocols: a connection that opens with the HTTP/2 preface goes to the gRPC
 * side with every byte still readable (also when the preface arrives in pieces), any other
 * connection is served by the HTTP/1.1 server as before.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { shareWithGrpc } from '../../src/grpc/port-sharing.js';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

let server: Server | undefined;
/** Sockets handed to the gRPC side are not the HTTP server's to close. */
const handedOver: Socket[] = [];
afterEach(async () => {
  for (const s of handedOver.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** An HTTP/1.1 server whose h2 connections land in `grpc` instead. */
async function start(grpc: (socket: Socket) => void): Promise<number> {
  server = createServer((_req, res) => res.end('http1'));
  shareWithGrpc(server, grpc);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** What the gRPC side reads from a handed-over socket, until `bytes` have arrived. */
function readAll(socket: Socket, bytes: number): Promise<string> {
  handedOver.push(socket);
  return new Promise((resolve) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length >= bytes) resolve(got);
    });
    socket.resume();
  });
}

describe('shareWithGrpc', () => {
  it('serves HTTP/1.1 as before', async () => {
    const port = await start(() => expect.unreachable('an HTTP/1.1 request reached gRPC'));
    const res = await fetch(`http://127.0.0.1:${port}/version`);
    expect(await res.text()).toBe('http1');
  });

  it('hands a preface connection to gRPC with the preface unread, even split in pieces', async () => {
    let received: Promise<string> | undefined;
    const handed = new Promise<void>((ok) => {
      void start((socket) => {
        received = readAll(socket, PREFACE.length + 5);
        ok();
      }).then((port) => {
        const c = connect(port, '127.0.0.1', () => {
          c.write(PREFACE.slice(0, 3));
          setTimeout(() => c.write(`${PREFACE.slice(3)}hello`), 20);
        });
      });
    });
    await handed;
    expect(await received).toBe(`${PREFACE}hello`);
  });

  it('sends a connection whose first bytes differ from the preface to HTTP/1.1', async () => {
    const port = await start(() => expect.unreachable('reached gRPC'));
    const reply = await new Promise<string>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.write('PRI-not-h2 / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString()));
      c.on('close', () => resolve(got));
      setTimeout(() => c.end(), 200);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 /);
  });
});

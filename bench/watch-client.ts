/**
 * The raw watch clients the benches share: one `POST /v3/watch` stream over etcd's v3 JSON
 * gateway (cairn and etcd 3.4 alike), carrying any number of create requests, with every
 * response handed over as one line of text; or the same over etcd's gRPC Watch service
 * (`openWatch`). Deliberately not cairn's Client: the same bytes go to etcd, and no decoding
 * beyond line splitting (gateway) or grpc-js's own (gRPC) is charged to the measurement.
 */
import { request, type ClientRequest } from 'node:http';
import { credentials, loadPackageDefinition, type Client as GrpcClient, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

export interface WatchCreate {
  readonly key: string;
  /** Exclusive end of a range watch; absent: the single key. */
  readonly rangeEnd?: string;
  /** Absent: from now on. */
  readonly startRevision?: number;
}

/**
 * Opens one stream and sends every create request on it; `onLine` gets each response line (or
 * no callback: the stream is never read, a client that stalls). Destroy the request to close it.
 */
export function openWatchStream(url: string, creates: readonly WatchCreate[], onLine?: (line: string) => void): ClientRequest {
  const req = request(`${url}/v3/watch`, { method: 'POST', agent: false });
  req.on('error', () => undefined);
  req.on('response', (res) => {
    if (onLine === undefined) {
      res.pause();
      return;
    }
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      let from = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', from)) >= 0) {
        onLine(text.slice(from, nl));
        from = nl + 1;
      }
      text = text.slice(from);
    });
    res.on('error', () => undefined);
  });
  const body = creates.map((c) =>
    JSON.stringify({
      create_request: {
        key: b64(c.key),
        range_end: c.rangeEnd === undefined ? undefined : b64(c.rangeEnd),
        start_revision: c.startRevision === undefined ? undefined : String(c.startRevision),
      },
    }),
  );
  req.write(body.join('\n'));
  return req;
}

/** The header revision of a response line, without parsing it ("mod_revision" has no leading quote before "revision"). */
export function headerRevision(line: string): number {
  const at = line.indexOf('"revision":"');
  return at < 0 ? 0 : parseInt(line.slice(at + 12, line.indexOf('"', at + 12)), 10);
}

/** Events in a response line: each event carries exactly one `"kv":` object. */
export function eventCount(line: string): number {
  let n = 0;
  for (let at = line.indexOf('"kv":'); at >= 0; at = line.indexOf('"kv":', at + 5)) n++;
  return n;
}

export const isCreated = (line: string): boolean => line.includes('"created":true');

/** What the benches need to know of one watch response, whichever client read it. */
export interface WatchView {
  readonly created: boolean;
  readonly revision: number;
  readonly events: number;
  readonly watchId: number;
}

/**
 * `gateway`: etcd's v3 JSON gateway over HTTP/1.1 (`/v3/watch`), counted from the text as above.
 * `grpc`: etcd's gRPC Watch service (cairn serves it on the client port too), one HTTP/2
 * connection per stream, responses decoded by @grpc/grpc-js as etcd's own clients decode them.
 */
export type WatchClientKind = 'gateway' | 'grpc';

export interface WatchHandle {
  close(): void;
}

type WatchCtor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options: object) => GrpcClient & {
  Watch(): ClientDuplexStream<object, GrpcWatchResponse>;
};
interface GrpcWatchResponse {
  header?: { revision?: string };
  watch_id?: string;
  created?: boolean;
  events?: unknown[];
}
let watchService: WatchCtor | undefined;

function grpcWatchService(): WatchCtor {
  watchService ??= (
    loadPackageDefinition(
      loadSync('rpc.proto', { includeDirs: [new URL('../proto/', import.meta.url).pathname], keepCase: true, longs: String, enums: String }),
    ) as unknown as { etcdserverpb: { Watch: WatchCtor } }
  ).etcdserverpb.Watch;
  return watchService;
}

function lineView(line: string): WatchView {
  const at = line.indexOf('"watch_id":"');
  return { created: isCreated(line), revision: headerRevision(line), events: eventCount(line), watchId: at < 0 ? 0 : parseInt(line.slice(at + 12), 10) };
}

/** One watch stream of `creates` over the chosen client; `onResponse` sees every response. */
export function openWatch(kind: WatchClientKind, url: string, creates: readonly WatchCreate[], onResponse: (v: WatchView) => void): WatchHandle {
  if (kind === 'gateway') {
    const req = openWatchStream(url, creates, (line) => onResponse(lineView(line)));
    return { close: () => req.destroy() };
  }
  const Watch = grpcWatchService();
  // A local subchannel pool: each stream its own connection, as each gateway stream has its own socket.
  const client = new Watch(url.replace(/^http:\/\//, ''), credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const call = client.Watch();
  call.on('data', (r: GrpcWatchResponse) =>
    onResponse({ created: r.created === true, revision: Number(r.header?.revision ?? 0), events: r.events?.length ?? 0, watchId: Number(r.watch_id ?? 0) }),
  );
  call.on('error', () => undefined);
  for (const c of creates) {
    call.write({
      create_request: {
        key: Buffer.from(c.key),
        range_end: c.rangeEnd === undefined ? undefined : Buffer.from(c.rangeEnd),
        start_revision: c.startRevision === undefined ? undefined : String(c.startRevision),
      },
    });
  }
  return {
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

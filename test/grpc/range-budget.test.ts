/**
 * A gRPC Range holds a lease on the member-wide range budget while it reads and answers, as the
 * gateway's does (issue 15: concurrent big ranges must not exhaust the heap whichever door they
 * come through), and returns it afterwards, also when the range fails.
 */
import { createServer, type Server } from 'node:net';
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import type { KV, RangeCallOptions } from '../../src/api/kv.js';
import type { RangeRequest, RangeResponse } from '../../src/api/kv-types.js';
import { createGrpcServer, type GrpcServer } from '../../src/grpc/server.js';
import { limitsFor } from '../../src/http/limits.js';
import { ByteBudget } from '../../src/util/byte-budget.js';
import { KvError } from '../../src/util/errors.js';

type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
const def = loadPackageDefinition(
  loadSync(['rpc.proto'], { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String, defaults: true }),
) as unknown as { etcdserverpb: Record<string, Ctor> };

let net: Server | undefined;
let grpc: GrpcServer | undefined;
let client: Client | undefined;
afterEach(async () => {
  client?.close();
  grpc?.close();
  await new Promise((r) => net?.close(r));
});

/** A gRPC server over `service` on a port of its own; `range` is the only method the test calls. */
async function serve(range: KV['range'], budget: ByteBudget): Promise<(req: Record<string, unknown>) => Promise<unknown>> {
  grpc = createGrpcServer({ range } as unknown as KV, limitsFor(1.5 * 1024 * 1024), budget);
  const g = grpc;
  net = createServer((socket) => g.injectConnection(socket));
  await new Promise<void>((r) => net?.listen(0, '127.0.0.1', r));
  const { port } = net.address() as { port: number };
  const c = new (def.etcdserverpb['KV'] as Ctor)(`127.0.0.1:${port}`, credentials.createInsecure());
  client = c;
  const call = c as unknown as Record<string, (req: unknown, cb: (e: ServiceError | null, r: unknown) => void) => void>;
  return (req) => new Promise((resolve, reject) => call['Range']?.(req, (err, res) => (err ? reject(err) : resolve(res))));
}

const empty = (): RangeResponse => ({ header: { clusterId: 1n, memberId: 1n, revision: 1, raftTerm: 1 }, kvs: [], more: false, count: 0 });

describe('gRPC Range and the member-wide range budget', () => {
  it('charges the budget while reading and releases it once answered', async () => {
    const budget = new ByteBudget(1000);
    let seenInUse = -1;
    const range = serve(async (_req: RangeRequest, opts?: RangeCallOptions) => {
      await opts?.charge?.(600);
      seenInUse = budget.inUse;
      return empty();
    }, budget);
    await (await range)({ key: Buffer.from('a') });
    expect(seenInUse).toBe(600);
    expect(budget.inUse).toBe(0);
  });

  it('releases the budget when the range fails', async () => {
    const budget = new ByteBudget(1000);
    const range = await serve(async (_req: RangeRequest, opts?: RangeCallOptions) => {
      await opts?.charge?.(700);
      throw new KvError('ResponseTooLarge', 'grpc: trying to send message larger than max (700 vs. 600)');
    }, budget);
    await expect(range({ key: Buffer.from('a') })).rejects.toMatchObject({ code: 8 });
    expect(budget.inUse).toBe(0);
  });
});

/**
 * `endpoint health|status|hashkv`: one request per endpoint (each with its own client), the
 * endpoints being --endpoints or, with --cluster, every member's client URLs.
 */
import type { HashKVResponse, StatusResponse } from '../../api/kv.js';
import { goDuration } from '../output/format.js';
import type { EpHashKV, EpHealth, EpStatus } from '../output/index.js';
import { CliError } from './cli-error.js';
import { flagBool, flagInt, type Command, type CommandContext } from './context.js';

export const CLUSTER_FLAG = { name: 'cluster', kind: 'bool', help: 'use all endpoints from the cluster member list' } as const;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** etcdctl's endpointsFromCluster. */
export async function endpointsFromCluster(ctx: CommandContext): Promise<readonly string[]> {
  if (!flagBool(ctx, 'cluster')) return ctx.globals.endpoints;
  try {
    const r = await ctx.client().memberList();
    return r.members.flatMap((m) => m.clientUrls);
  } catch (err) {
    throw new CliError(`failed to fetch endpoints from etcd cluster member list: ${errorText(err)}`);
  }
}

/** Runs `call` against every endpoint; failures are reported on stderr as etcdctl does, then exit 1. */
async function perEndpoint<T>(ctx: CommandContext, what: string, call: (ep: string) => Promise<T>): Promise<{ ok: { ep: string; resp: T }[]; failed: boolean }> {
  const eps = await endpointsFromCluster(ctx);
  const ok: { ep: string; resp: T }[] = [];
  let failed = false;
  for (const ep of eps) {
    try {
      ok.push({ ep, resp: await call(ep) });
    } catch (err) {
      failed = true;
      ctx.io.sink.err(`Failed to get the ${what} of endpoint ${ep} (${errorText(err)})\n`);
    }
  }
  return { ok, failed };
}

async function probeHealth(ctx: CommandContext, ep: string): Promise<EpHealth> {
  const client = ctx.client([ep]);
  const start = performance.now();
  let error: string | undefined;
  try {
    // Any linearizable read proves a quorum committed a ReadIndex round; "permission denied" would too.
    await client.range({ key: new TextEncoder().encode('health') });
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'PermissionDenied')) error = errorText(err);
  }
  const took = goDuration(performance.now() - start);
  if (error === undefined) {
    try {
      const alarms = await client.alarm({ action: 'GET' });
      if (alarms.alarms.length > 0) error = `Active Alarm(s): ${alarms.alarms.map((a) => `${a.alarm === 'NONE' ? 'UNKNOWN' : a.alarm} `).join('')}`;
    } catch {
      error = 'Unable to fetch the alarm list';
    }
  }
  return { ep, health: error === undefined, took, ...(error !== undefined ? { error } : {}) };
}

export const endpointHealthCommand: Command = {
  name: 'endpoint health',
  usage: 'endpoint health [options]',
  summary: 'Checks the healthiness of endpoints specified in `--endpoints` flag',
  flags: [CLUSTER_FLAG],
  async run(ctx) {
    const eps = await endpointsFromCluster(ctx);
    const list = await Promise.all(eps.map((ep) => probeHealth(ctx, ep)));
    ctx.printer().endpointHealth(list);
    if (list.some((h) => !h.health)) throw new CliError('unhealthy cluster');
  },
};

export const endpointStatusCommand: Command = {
  name: 'endpoint status',
  usage: 'endpoint status [options]',
  summary: 'Prints out the status of endpoints specified in `--endpoints` flag',
  flags: [CLUSTER_FLAG],
  async run(ctx) {
    const { ok, failed } = await perEndpoint<StatusResponse>(ctx, 'status', (ep) => ctx.client([ep]).status());
    ctx.printer().endpointStatus(ok as EpStatus[]);
    if (failed) throw new CliError('');
  },
};

export const endpointHashKVCommand: Command = {
  name: 'endpoint hashkv',
  usage: 'endpoint hashkv [options]',
  summary: 'Prints the KV history hash for each endpoint in --endpoints',
  flags: [CLUSTER_FLAG, { name: 'rev', kind: 'int', help: 'maximum revision to hash (default: latest revision)' }],
  async run(ctx) {
    const rev = flagInt(ctx, 'rev');
    const { ok, failed } = await perEndpoint<HashKVResponse>(ctx, 'hash', (ep) => ctx.client([ep]).hashKV(rev > 0 ? { revision: rev } : {}));
    ctx.printer().endpointHashKV(ok as EpHashKV[]);
    if (failed) throw new CliError('');
  },
};

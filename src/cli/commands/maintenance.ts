/** `defrag`, `move-leader`, `alarm list|disarm`: etcdctl's maintenance commands. */
import type { AlarmMember, StatusResponse } from '../../api/kv.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { parseHexId, type Command } from './context.js';
import { CLUSTER_FLAG, endpointsFromCluster } from './endpoint.js';

export const defragCommand: Command = {
  name: 'defrag',
  usage: 'defrag [options]',
  summary: 'Defragments the storage of the etcd members with given endpoints',
  flags: [CLUSTER_FLAG],
  async run(ctx) {
    let failures = 0;
    for (const ep of await endpointsFromCluster(ctx)) {
      try {
        await ctx.client([ep]).defragment();
        ctx.io.sink.out(`Finished defragmenting etcd member[${ep}]\n`);
      } catch (err) {
        failures++;
        ctx.io.sink.err(`Failed to defragment etcd member[${ep}] (${(err as Error).message})\n`);
      }
    }
    if (failures > 0) throw new CliError('');
  },
};

export const moveLeaderCommand: Command = {
  name: 'move-leader',
  usage: 'move-leader <transferee-member-id>',
  summary: 'Transfers leadership to another etcd cluster member.',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('move-leader command needs 1 argument');
    const target = parseHexId(ctx.args[0] as string, 'member ID');
    // MoveLeader must reach the current leader: find it among the given endpoints.
    let leader: { ep: string; status: StatusResponse } | undefined;
    for (const ep of ctx.globals.endpoints) {
      const status = await ctx.client([ep]).status();
      if (status.header.memberId === status.leader) {
        leader = { ep, status };
        break;
      }
    }
    if (leader === undefined) throw new CliError(`no leader endpoint given at [${ctx.globals.endpoints.join(' ')}]`, ExitCode.BadArgs);
    const r = await ctx.client([leader.ep]).moveLeader({ targetId: target });
    ctx.printer().moveLeader(leader.status.leader, target, r);
  },
};

export const alarmListCommand: Command = {
  name: 'alarm list',
  usage: 'alarm list',
  summary: 'Lists all alarms',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 0) throw new UsageError('alarm list command accepts no arguments');
    ctx.printer().alarm(await ctx.client().alarm({ action: 'GET' }));
  },
};

export const alarmDisarmCommand: Command = {
  name: 'alarm disarm',
  usage: 'alarm disarm',
  summary: 'Disarms all alarms',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 0) throw new UsageError('alarm disarm command accepts no arguments');
    // clientv3's AlarmDisarm with no member: list the alarms, deactivate each one.
    const client = ctx.client();
    const active = await client.alarm({ action: 'GET' });
    const disarmed: AlarmMember[] = [];
    for (const a of active.alarms) {
      const r = await client.alarm({ action: 'DEACTIVATE', memberId: a.memberId, alarm: a.alarm });
      disarmed.push(...r.alarms);
    }
    ctx.printer().alarm({ alarms: disarmed });
  },
};

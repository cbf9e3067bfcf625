/** `lease grant|revoke|timetolive|list|keep-alive`: etcdctl's lease commands, IDs in hex. */
import { KvError } from '../../util/errors.js';
import { hexId16 } from '../output/format.js';
import { sleep } from './abortable.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { flagBool, parseDecimal, parseHexId, type Command } from './context.js';

function leaseArg(args: readonly string[], verb: string): bigint {
  if (args.length !== 1) throw new UsageError(`lease ${verb} command needs 1 argument`);
  return parseHexId(args[0] as string, 'lease ID', true);
}

export const leaseGrantCommand: Command = {
  name: 'lease grant',
  usage: 'lease grant <ttl>',
  summary: 'Creates leases',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('lease grant command needs TTL argument');
    const text = ctx.args[0] as string;
    const ttl = parseDecimal(text);
    if (ttl === undefined) throw new CliError(`bad TTL (strconv.ParseInt: parsing "${text}": invalid syntax)`, ExitCode.BadArgs);
    ctx.printer().grant(await ctx.client().leaseGrant({ ttl }));
  },
};

export const leaseRevokeCommand: Command = {
  name: 'lease revoke',
  usage: 'lease revoke <leaseID>',
  summary: 'Revokes leases',
  flags: [],
  async run(ctx) {
    const id = leaseArg(ctx.args, 'revoke');
    ctx.printer().revoke(id, await ctx.client().leaseRevoke({ id }));
  },
};

export const leaseTimeToLiveCommand: Command = {
  name: 'lease timetolive',
  usage: 'lease timetolive <leaseID> [options]',
  summary: 'Get lease information',
  flags: [{ name: 'keys', kind: 'bool', help: 'Get keys attached to this lease' }],
  async run(ctx) {
    const id = leaseArg(ctx.args, 'timetolive');
    const keys = flagBool(ctx, 'keys');
    ctx.printer().timeToLive(await ctx.client().leaseTimeToLive({ id, ...(keys ? { keys: true } : {}) }), keys);
  },
};

export const leaseListCommand: Command = {
  name: 'lease list',
  usage: 'lease list',
  summary: 'List all active leases',
  flags: [],
  async run(ctx) {
    ctx.printer().leases(await ctx.client().leaseLeases());
  },
};

export const leaseKeepAliveCommand: Command = {
  name: 'lease keep-alive',
  usage: 'lease keep-alive [options] <leaseID>',
  summary: 'Keeps leases alive (renew)',
  flags: [{ name: 'once', kind: 'bool', help: 'Resets the keep-alive time to its original value and exits immediately' }],
  async run(ctx) {
    const id = leaseArg(ctx.args, 'keep-alive');
    const client = ctx.client();
    const printer = ctx.printer();
    if (flagBool(ctx, 'once')) {
      const r = await client.leaseKeepAlive({ id });
      // clientv3's KeepAliveOnce turns "TTL 0" into ErrLeaseNotFound.
      if (r.ttl <= 0) throw new KvError('LeaseNotFound');
      printer.keepAlive(r);
      return;
    }
    // clientv3 renews every TTL/3 until the lease is gone or the user interrupts.
    while (!ctx.io.signal.aborted) {
      const r = await client.leaseKeepAlive({ id });
      if (r.ttl <= 0) break;
      printer.keepAlive(r);
      await sleep(Math.max(500, (r.ttl * 1000) / 3), ctx.io.signal);
    }
    if (!ctx.io.signal.aborted && ctx.globals.writeOut === 'simple') ctx.io.sink.out(`lease ${hexId16(id)} expired or revoked.\n`);
  },
};

/** `put`, `get`, `del`, `compaction`: etcdctl's key-value commands. */
import { CliError, UsageError } from './cli-error.js';
import { flagBool, parseDecimal, type Command } from './context.js';
import { DEL_FLAGS, deleteRequest, GET_FLAGS, PUT_FLAGS, putRequest, rangeRequest } from './kv-ops.js';

export const putCommand: Command = {
  name: 'put',
  usage: 'put [options] <key> <value> (<value> can also be given from stdin)',
  summary: 'Puts the given key into the store',
  flags: PUT_FLAGS,
  async run(ctx) {
    // The value comes from stdin only when it is not an argument and is needed.
    const needsStdin = ctx.args.length === 1 && !flagBool(ctx, 'ignore-value');
    const req = putRequest(ctx.flags, ctx.args, needsStdin ? await ctx.io.stdin.readAll() : undefined);
    ctx.printer().put(await ctx.client().put(req));
  },
};

export const getCommand: Command = {
  name: 'get',
  usage: 'get [options] <key> [range_end]',
  summary: 'Gets the key or a range of keys',
  flags: GET_FLAGS,
  async run(ctx) {
    const req = rangeRequest(ctx.flags, ctx.args);
    if (req.countOnly === true && ctx.globals.writeOut !== 'fields') throw new UsageError('--count-only is only for `--write-out=fields`');
    const valueOnly = flagBool(ctx, 'print-value-only');
    if (valueOnly && ctx.globals.writeOut !== 'simple') throw new UsageError('print-value-only is only for `--write-out=simple`');
    ctx.printer({ valueOnly }).get(await ctx.client().range(req));
  },
};

export const delCommand: Command = {
  name: 'del',
  usage: 'del [options] <key> [range_end]',
  summary: 'Removes the specified key or range of keys [key, range_end)',
  flags: DEL_FLAGS,
  async run(ctx) {
    ctx.printer().del(await ctx.client().deleteRange(deleteRequest(ctx.flags, ctx.args)));
  },
};

export const compactionCommand: Command = {
  name: 'compaction',
  usage: 'compaction [options] <revision>',
  summary: 'Compacts the event history in etcd',
  flags: [{ name: 'physical', kind: 'bool', help: 'wait for the compaction to physically remove all old revisions' }],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('compaction command needs 1 argument');
    const text = ctx.args[0] as string;
    const rev = parseDecimal(text);
    if (rev === undefined) throw new CliError(`strconv.ParseInt: parsing "${text}": invalid syntax`);
    await ctx.client().compact({ revision: rev, ...(flagBool(ctx, 'physical') ? { physical: true } : {}) });
    ctx.io.sink.out(`compacted revision ${rev}\n`);
  },
};

/** `member add|remove|update|promote|list`: etcdctl's membership commands, member IDs in hex. */
import { goQuoteString } from '../output/format.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { flagBool, flagList, flagString, parseHexId, type Command, type CommandContext } from './context.js';

function memberIdArg(ctx: CommandContext): bigint {
  const text = ctx.args[0];
  if (text === undefined) throw new UsageError('member ID is not provided');
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new CliError(`bad member ID arg (${text}), expecting ID in Hex`, ExitCode.BadArgs);
  return parseHexId(text, 'member ID arg');
}

function peerUrls(ctx: CommandContext): string[] {
  const urls = flagList(ctx, 'peer-urls');
  if (urls.length === 0) throw new UsageError('member peer urls not provided');
  return urls;
}

const PEER_URLS = { name: 'peer-urls', kind: 'list', help: 'comma separated peer URLs for the new member.' } as const;

export const memberAddCommand: Command = {
  name: 'member add',
  usage: 'member add <memberName> [options]',
  summary: 'Adds a member into the cluster',
  flags: [PEER_URLS, { name: 'learner', kind: 'bool', help: 'indicates if the new member is raft learner' }],
  async run(ctx) {
    if (ctx.args.length < 1) throw new UsageError('member name not provided');
    if (ctx.args.length > 1) {
      const hints = ctx.args.filter((a) => a.toLowerCase().startsWith('http')).map((a) => `, did you mean --peer-urls=${a}`);
      throw new UsageError(`too many arguments${hints.join('')}`);
    }
    const name = ctx.args[0] as string;
    const urls = peerUrls(ctx);
    const r = await ctx.client().memberAdd({ peerUrls: urls, ...(flagBool(ctx, 'learner') ? { isLearner: true } : {}) });
    ctx.printer().memberAdd(r);
    if (ctx.globals.writeOut !== 'simple') return;
    // How to start the new member: cairn serve reads CAIRN_<FLAG> (etcdctl prints ETCD_<FLAG> for etcd).
    const conf = r.members.flatMap((m) => m.peerUrls.map((u) => `${m.id === r.member.id ? name : m.name}=${u}`));
    const out = ctx.io.sink;
    out.out('\n');
    out.out(`CAIRN_NAME=${goQuoteString(name)}\n`);
    out.out(`CAIRN_INITIAL_CLUSTER=${goQuoteString(conf.join(','))}\n`);
    out.out(`CAIRN_INITIAL_ADVERTISE_PEER_URLS=${goQuoteString(r.member.peerUrls.join(','))}\n`);
    out.out('CAIRN_INITIAL_CLUSTER_STATE="existing"\n');
  },
};

export const memberRemoveCommand: Command = {
  name: 'member remove',
  usage: 'member remove <memberID>',
  summary: 'Removes a member from the cluster',
  flags: [],
  async run(ctx) {
    const id = memberIdArg(ctx);
    ctx.printer().memberRemove(id, await ctx.client().memberRemove({ id }));
  },
};

export const memberUpdateCommand: Command = {
  name: 'member update',
  usage: 'member update <memberID> [options]',
  summary: 'Updates a member in the cluster',
  flags: [PEER_URLS],
  async run(ctx) {
    const id = memberIdArg(ctx);
    const urls = peerUrls(ctx);
    ctx.printer().memberUpdate(id, await ctx.client().memberUpdate({ id, peerUrls: urls }));
  },
};

export const memberPromoteCommand: Command = {
  name: 'member promote',
  usage: 'member promote <memberID>',
  summary: 'Promotes a non-voting member in the cluster',
  flags: [],
  async run(ctx) {
    const id = memberIdArg(ctx);
    ctx.printer().memberPromote(id, await ctx.client().memberPromote({ id }));
  },
};

export const memberListCommand: Command = {
  name: 'member list',
  usage: 'member list',
  summary: 'Lists all members in the cluster',
  flags: [{ name: 'consistency', kind: 'string', help: 'Linearizable(l) or Serializable(s) (default "l")' }],
  async run(ctx) {
    const c = flagString(ctx, 'consistency', 'l');
    if (c !== 'l' && c !== 's') throw new CliError(`unknown consistency flag "${c}"`, ExitCode.BadFeature);
    ctx.printer().memberList(await ctx.client().memberList(c === 'l' ? { linearizable: true } : {}));
  },
};

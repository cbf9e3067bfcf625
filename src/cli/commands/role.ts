/** `role add|delete|get|list|grant-permission|revoke-permission`: etcdctl 3.4's role commands and output. */
import type { AuthRoleGetResponse, Permission, PermissionType } from '../../api/kv.js';
import { AUTH } from '../../api/rpcs.js';
import { bytesEqual, fromUtf8, prefixRangeEnd, utf8 } from '../../util/bytes.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { authOut } from './auth.js';
import { flagBool, type Command, type CommandContext } from './context.js';

const OPEN_END = new Uint8Array([0]);
const isOpen = (end: Uint8Array | undefined): boolean => end !== undefined && bytesEqual(end, OPEN_END);

/** etcdctl's simple RoleGet: `KV Read:` / `KV Write:` with one line per key or range. */
export function roleLines(role: string, r: AuthRoleGetResponse): string {
  const line = (p: Permission): string => {
    if (p.rangeEnd === undefined || p.rangeEnd.length === 0) return `\t${fromUtf8(p.key)}\n`;
    const range = isOpen(p.rangeEnd) ? `\t[${fromUtf8(p.key)}, <open ended>` : `\t[${fromUtf8(p.key)}, ${fromUtf8(p.rangeEnd)})`;
    const prefix = bytesEqual(prefixRangeEnd(p.key), p.rangeEnd) ? ` (prefix ${fromUtf8(p.key)})` : '';
    return `${range}${prefix}\n`;
  };
  const perms = r.perm ?? [];
  const type = (p: Permission): PermissionType => p.permType ?? 'READ';
  return [
    `Role ${role}\n`,
    'KV Read:\n',
    ...perms.filter((p) => type(p) !== 'WRITE').map(line),
    'KV Write:\n',
    ...perms.filter((p) => type(p) !== 'READ').map(line),
  ].join('');
}

function oneArg(ctx: CommandContext, what: string): string {
  if (ctx.args.length !== 1) throw new UsageError(`${what} requires role name as its argument`);
  return ctx.args[0] as string;
}

/** etcdctl's key arguments: `key [end]`, `--prefix key` or `--from-key key` (an empty key is `\0`). */
function keyRange(ctx: CommandContext, key: string, end: string | undefined): { key: Uint8Array; rangeEnd?: Uint8Array } {
  const prefix = flagBool(ctx, 'prefix');
  const fromKey = flagBool(ctx, 'from-key');
  if (prefix && fromKey) throw new CliError('--from-key and --prefix flags are mutually exclusive', ExitCode.BadArgs);
  if ((prefix || fromKey) && end !== undefined) throw new CliError(`unexpected endkey argument with --${prefix ? 'prefix' : 'from-key'}`, ExitCode.BadArgs);
  const k = key === '' ? OPEN_END : utf8(key);
  if (prefix) return { key: k, rangeEnd: key === '' ? OPEN_END : prefixRangeEnd(k) };
  if (fromKey) return { key: k, rangeEnd: OPEN_END };
  return end === undefined ? { key: k } : { key: k, rangeEnd: utf8(end) };
}

const RANGE_FLAGS = [
  { name: 'prefix', kind: 'bool', help: 'grant a prefix permission' },
  { name: 'from-key', kind: 'bool', help: 'grant a permission of keys that are greater than or equal to the given key using byte compare' },
] as const;

export const roleAddCommand: Command = {
  name: 'role add',
  usage: 'role add <role name>',
  summary: 'Adds a new role',
  flags: [],
  async run(ctx) {
    const name = oneArg(ctx, 'role add command');
    authOut(ctx, AUTH.roleAdd, await ctx.client().roleAdd({ name }), `Role ${name} created\n`);
  },
};

export const roleDeleteCommand: Command = {
  name: 'role delete',
  usage: 'role delete <role name>',
  summary: 'Deletes a role',
  flags: [],
  async run(ctx) {
    const role = oneArg(ctx, 'role delete command');
    authOut(ctx, AUTH.roleDelete, await ctx.client().roleDelete({ role }), `Role ${role} deleted\n`);
  },
};

export const roleGetCommand: Command = {
  name: 'role get',
  usage: 'role get <role name>',
  summary: 'Gets detailed information of a role',
  flags: [],
  async run(ctx) {
    const role = oneArg(ctx, 'role get command');
    const r = await ctx.client().roleGet({ role });
    authOut(ctx, AUTH.roleGet, r, roleLines(role, r));
  },
};

export const roleListCommand: Command = {
  name: 'role list',
  usage: 'role list',
  summary: 'Lists all roles',
  flags: [],
  async run(ctx) {
    const r = await ctx.client().roleList();
    authOut(ctx, AUTH.roleList, r, (r.roles ?? []).map((x) => `${x}\n`).join(''));
  },
};

const PERM_TYPES: Record<string, PermissionType> = { read: 'READ', write: 'WRITE', readwrite: 'READWRITE' };

export const roleGrantPermissionCommand: Command = {
  name: 'role grant-permission',
  usage: 'role grant-permission [options] <role name> <permission type> <key> [endkey]',
  summary: 'Grants a key to a role',
  flags: [...RANGE_FLAGS],
  async run(ctx) {
    if (ctx.args.length < 3 || ctx.args.length > 4) throw new UsageError('role grant command requires role name, permission type, and key [endkey] as its argument');
    const [name, type, key, end] = ctx.args as [string, string, string, string | undefined];
    const permType = PERM_TYPES[type.toLowerCase()];
    if (permType === undefined) throw new CliError(`invalid permission type ${type}`, ExitCode.BadArgs);
    const perm = { permType, ...keyRange(ctx, key, end) };
    authOut(ctx, AUTH.roleGrantPermission, await ctx.client().roleGrantPermission({ name, perm }), `Role ${name} updated\n`);
  },
};

export const roleRevokePermissionCommand: Command = {
  name: 'role revoke-permission',
  usage: 'role revoke-permission <role name> <key> [endkey]',
  summary: 'Revokes a key from a role',
  flags: [...RANGE_FLAGS],
  async run(ctx) {
    if (ctx.args.length < 2 || ctx.args.length > 3) throw new UsageError('role revoke-permission command requires role name and key [endkey] as its argument');
    const [role, key, end] = ctx.args as [string, string, string | undefined];
    const range = keyRange(ctx, key, end);
    const r = await ctx.client().roleRevokePermission({ role, ...range });
    const what =
      range.rangeEnd === undefined
        ? `key ${fromUtf8(range.key)}`
        : `range [${fromUtf8(range.key)}, ${isOpen(range.rangeEnd) ? '<open ended>' : `${fromUtf8(range.rangeEnd)})`}`;
    authOut(ctx, AUTH.roleRevokePermission, r, `Permission of ${what} is revoked from role ${role}\n`);
  },
};

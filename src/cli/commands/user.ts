/** `user add|delete|get|list|passwd|grant-role|revoke-role`: etcdctl 3.4's user commands and output. */
import { AUTH } from '../../api/rpcs.js';
import { CliError, UsageError } from './cli-error.js';
import { authOut } from './auth.js';
import { flagBool, flagString, type Command, type CommandContext } from './context.js';
import { roleLines } from './role.js';

const INTERACTIVE = { name: 'interactive', kind: 'bool', help: 'Read password from stdin instead of interactive terminal (use --interactive=false)' } as const;

function oneArg(ctx: CommandContext, what: string): string {
  if (ctx.args.length !== 1) throw new UsageError(`${what} requires user name as its argument`);
  return ctx.args[0] as string;
}

/** etcdctl: prompt twice (the second to confirm), or one line from stdin with --interactive=false. */
async function readPassword(ctx: CommandContext, name: string): Promise<string> {
  const interactive = ctx.flags.get('interactive') !== false;
  if (!interactive) {
    const line = await ctx.io.stdin.readLine();
    if (line === undefined) throw new CliError('failed to read password from stdin');
    return line;
  }
  ctx.io.sink.err(`Password of ${name}: `);
  const first = await ctx.io.stdin.readLine();
  ctx.io.sink.err(`Type password of ${name} again for confirmation: `);
  const again = await ctx.io.stdin.readLine();
  if (first === undefined || again === undefined) throw new CliError('failed to read password');
  if (first !== again) throw new CliError('given passwords are different');
  return first;
}

export const userAddCommand: Command = {
  name: 'user add',
  usage: 'user add <user name or user:password> [options]',
  summary: 'Adds a new user',
  flags: [
    INTERACTIVE,
    { name: 'new-user-password', kind: 'string', help: 'Supply password from the command line flag' },
    { name: 'no-password', kind: 'bool', help: 'Create a user without password (CN based auth only)' },
  ],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('user add command requires user name as its argument');
    const arg = ctx.args[0] as string;
    const noPassword = flagBool(ctx, 'no-password');
    const colon = arg.indexOf(':');
    const name = colon === -1 ? arg : arg.slice(0, colon);
    let password = '';
    if (!noPassword) {
      if (colon !== -1) password = arg.slice(colon + 1);
      else if (ctx.flags.has('new-user-password')) password = flagString(ctx, 'new-user-password');
      else password = await readPassword(ctx, name);
    }
    const r = await ctx.client().userAdd({ name, password, ...(noPassword ? { options: { noPassword: true } } : {}) });
    authOut(ctx, AUTH.userAdd, r, `User ${name} created\n`);
  },
};

export const userDeleteCommand: Command = {
  name: 'user delete',
  usage: 'user delete <user name>',
  summary: 'Deletes a user',
  flags: [],
  async run(ctx) {
    const name = oneArg(ctx, 'user delete command');
    authOut(ctx, AUTH.userDelete, await ctx.client().userDelete({ name }), `User ${name} deleted\n`);
  },
};

export const userGetCommand: Command = {
  name: 'user get',
  usage: 'user get <user name> [options]',
  summary: 'Gets detailed information of a user',
  flags: [{ name: 'detail', kind: 'bool', help: 'Show permissions of roles granted to the user' }],
  async run(ctx) {
    const name = oneArg(ctx, 'user get command');
    const client = ctx.client();
    const r = await client.userGet({ name });
    const roles = r.roles ?? [];
    if (!flagBool(ctx, 'detail')) {
      authOut(ctx, AUTH.userGet, r, `User: ${name}\nRoles:${roles.map((x) => ` ${x}`).join('')}\n`);
      return;
    }
    let text = `User: ${name}\n`;
    for (const role of roles) text += roleLines(role, await client.roleGet({ role }));
    authOut(ctx, AUTH.userGet, r, text);
  },
};

export const userListCommand: Command = {
  name: 'user list',
  usage: 'user list',
  summary: 'Lists all users',
  flags: [],
  async run(ctx) {
    const r = await ctx.client().userList();
    authOut(ctx, AUTH.userList, r, (r.users ?? []).map((u) => `${u}\n`).join(''));
  },
};

export const userPasswdCommand: Command = {
  name: 'user passwd',
  usage: 'user passwd <user name> [options]',
  summary: 'Changes password of user',
  flags: [INTERACTIVE],
  async run(ctx) {
    const name = oneArg(ctx, 'user passwd command');
    const password = await readPassword(ctx, name);
    authOut(ctx, AUTH.userChangePassword, await ctx.client().userChangePassword({ name, password }), 'Password updated\n');
  },
};

export const userGrantRoleCommand: Command = {
  name: 'user grant-role',
  usage: 'user grant-role <user name> <role name>',
  summary: 'Grants a role to a user',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 2) throw new UsageError('user grant command requires user name and role name as its argument');
    const [user, role] = ctx.args as [string, string];
    authOut(ctx, AUTH.userGrantRole, await ctx.client().userGrantRole({ user, role }), `Role ${role} is granted to user ${user}\n`);
  },
};

export const userRevokeRoleCommand: Command = {
  name: 'user revoke-role',
  usage: 'user revoke-role <user name> <role name>',
  summary: 'Revokes a role from a user',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 2) throw new UsageError('user revoke-role requires user name and role name as its argument');
    const [name, role] = ctx.args as [string, string];
    authOut(ctx, AUTH.userRevokeRole, await ctx.client().userRevokeRole({ name, role }), `Role ${role} is revoked from user ${name}\n`);
  },
};

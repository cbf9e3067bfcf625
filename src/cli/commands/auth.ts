/**
 * `auth enable|disable|status`, and how every auth command answers: etcdctl 3.4's simple lines,
 * or the response as the gateway's JSON with `-w json`.
 */
import { encodeMessage } from '../../api/json.js';
import type { Rpc } from '../../api/rpcs.js';
import { AUTH } from '../../api/rpcs.js';
import { isKvError } from '../../util/errors.js';
import { unsupportedFormat } from '../output/printer.js';
import type { Command, CommandContext } from './context.js';

export function authOut<Req, Res>(ctx: CommandContext, rpc: Rpc<Req, Res>, res: Res, simple: string): void {
  switch (ctx.globals.writeOut) {
    case 'simple':
      ctx.io.sink.out(simple);
      return;
    case 'json':
      ctx.io.sink.out(`${encodeMessage(rpc.response, res)}\n`);
      return;
    default:
      throw unsupportedFormat(ctx.globals.writeOut);
  }
}

export const authEnableCommand: Command = {
  name: 'auth enable',
  usage: 'auth enable',
  summary: 'Enables authentication',
  flags: [],
  async run(ctx) {
    const client = ctx.client();
    let res;
    try {
      res = await client.authEnable();
    } catch (err) {
      // etcdctl: a root user without the root role gets it (creating the role), then retries.
      if (!isKvError(err, 'RootRoleNotExist')) throw err;
      await client.roleAdd({ name: 'root' }).catch((e: unknown) => {
        if (!isKvError(e, 'RoleAlreadyExist')) throw e;
      });
      await client.userGrantRole({ user: 'root', role: 'root' });
      res = await client.authEnable();
    }
    authOut(ctx, AUTH.authEnable, res, 'Authentication Enabled\n');
  },
};

export const authDisableCommand: Command = {
  name: 'auth disable',
  usage: 'auth disable',
  summary: 'Disables authentication',
  flags: [],
  async run(ctx) {
    authOut(ctx, AUTH.authDisable, await ctx.client().authDisable(), 'Authentication Disabled\n');
  },
};

export const authStatusCommand: Command = {
  name: 'auth status',
  usage: 'auth status',
  summary: 'Returns authentication status',
  flags: [],
  async run(ctx) {
    const r = await ctx.client().authStatus();
    authOut(ctx, AUTH.authStatus, r, `Authentication Status: ${r.enabled === true}\nAuthRevision: ${r.authRevision}\n`);
  },
};

/** Every client command, by its full name (`put`, `lease grant`, …). */
import { checkPerfCommand } from './check-perf.js';
import type { Command } from './context.js';
import { endpointHashKVCommand, endpointHealthCommand, endpointStatusCommand } from './endpoint.js';
import { compactionCommand, delCommand, getCommand, putCommand } from './kv.js';
import { leaseGrantCommand, leaseKeepAliveCommand, leaseListCommand, leaseRevokeCommand, leaseTimeToLiveCommand } from './lease.js';
import { alarmDisarmCommand, alarmListCommand, defragCommand, moveLeaderCommand } from './maintenance.js';
import { memberAddCommand, memberListCommand, memberPromoteCommand, memberRemoveCommand, memberUpdateCommand } from './member.js';
import { snapshotRestoreCommand, snapshotSaveCommand, snapshotStatusCommand } from './snapshot.js';
import { txnCommand } from './txn.js';
import { watchCommand } from './watch.js';
import { authDisableCommand, authEnableCommand, authStatusCommand } from './auth.js';
import { userAddCommand, userDeleteCommand, userGetCommand, userGrantRoleCommand, userListCommand, userPasswdCommand, userRevokeRoleCommand } from './user.js';
import {
  roleAddCommand, roleDeleteCommand, roleGetCommand, roleGrantPermissionCommand, roleListCommand, roleRevokePermissionCommand,
} from './role.js';

export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [
    putCommand, getCommand, delCommand, txnCommand, watchCommand, compactionCommand,
    leaseGrantCommand, leaseRevokeCommand, leaseTimeToLiveCommand, leaseListCommand, leaseKeepAliveCommand,
    memberAddCommand, memberRemoveCommand, memberUpdateCommand, memberPromoteCommand, memberListCommand,
    endpointHealthCommand, endpointStatusCommand, endpointHashKVCommand,
    moveLeaderCommand, defragCommand, alarmListCommand, alarmDisarmCommand, checkPerfCommand, snapshotSaveCommand, snapshotStatusCommand, snapshotRestoreCommand,
    authEnableCommand, authDisableCommand, authStatusCommand,
    userAddCommand, userDeleteCommand, userGetCommand, userListCommand, userPasswdCommand, userGrantRoleCommand, userRevokeRoleCommand,
    roleAddCommand, roleDeleteCommand, roleGetCommand, roleListCommand, roleGrantPermissionCommand, roleRevokePermissionCommand,
  ].map((c) => [c.name, c]),
);

/** Commands with subcommands: `lease grant`, `member list`, … */
export const GROUPS: ReadonlySet<string> = new Set([...COMMANDS.keys()].filter((n) => n.includes(' ')).map((n) => n.split(' ')[0] as string));

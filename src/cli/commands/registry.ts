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

export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [
    putCommand, getCommand, delCommand, txnCommand, watchCommand, compactionCommand,
    leaseGrantCommand, leaseRevokeCommand, leaseTimeToLiveCommand, leaseListCommand, leaseKeepAliveCommand,
    memberAddCommand, memberRemoveCommand, memberUpdateCommand, memberPromoteCommand, memberListCommand,
    endpointHealthCommand, endpointStatusCommand, endpointHashKVCommand,
    moveLeaderCommand, defragCommand, alarmListCommand, alarmDisarmCommand, checkPerfCommand, snapshotSaveCommand, snapshotStatusCommand, snapshotRestoreCommand,
  ].map((c) => [c.name, c]),
);

/** Commands with subcommands: `lease grant`, `member list`, … */
export const GROUPS: ReadonlySet<string> = new Set([...COMMANDS.keys()].filter((n) => n.includes(' ')).map((n) => n.split(' ')[0] as string));

/**
 * The client commands' help, in etcdctl's layout (NAME, USAGE, OPTIONS, GLOBAL OPTIONS):
 * one command's, a group's (`cairn lease --help` lists its subcommands and exits 0, as
 * etcdctl's cobra groups do), and the list of every command.
 */
import type { FlagSpec } from '../flags.js';
import { GLOBAL_FLAGS, type Command } from './context.js';
import { COMMANDS, GROUPS } from './registry.js';

const flagLines = (specs: readonly FlagSpec[]) => specs.map((f) => `  --${f.name.padEnd(22)} ${f.help}`).join('\n');

const GROUP_SUMMARIES: Readonly<Record<string, string>> = {
  lease: 'Lease related commands',
  member: 'Membership related commands',
  endpoint: 'Endpoint related commands',
  alarm: 'Alarm related commands',
  snapshot: 'Manages etcd node snapshots',
  check: 'commands for checking properties of the etcd cluster',
};

export function commandHelp(c: Command): string {
  return `NAME:\n  ${c.name} - ${c.summary}\n\nUSAGE:\n  cairn ${c.usage}\n${c.flags.length > 0 ? `\nOPTIONS:\n${flagLines(c.flags)}\n` : ''}\nGLOBAL OPTIONS:\n${flagLines(GLOBAL_FLAGS)}\n`;
}

export function groupHelp(group: string): string {
  const subs = [...COMMANDS.values()].filter((c) => c.name.startsWith(`${group} `));
  const lines = subs.map((c) => `  ${c.name.slice(group.length + 1).padEnd(16)} ${c.summary}`);
  return `NAME:\n  ${group} - ${GROUP_SUMMARIES[group] ?? `${group} commands`}\n\nUSAGE:\n  cairn ${group} <subcommand> [flags]\n\nCOMMANDS:\n${lines.join('\n')}\n\nRun 'cairn ${group} <subcommand> --help' for a subcommand's flags.\n`;
}

export function clientUsage(): string {
  const lines = [...COMMANDS.values()].map((c) => `  ${c.name.padEnd(18)} ${c.summary}`);
  return `client commands (etcdctl's, same flags and output):\n${lines.join('\n')}\n\nglobal flags: ${GLOBAL_FLAGS.map((f) => `--${f.name}`).join(' ')} (also CAIRN_<FLAG> or ETCDCTL_<FLAG> in the environment)`;
}

/** `cairn help <words…>`: a command's or a group's help; undefined for an unknown topic. */
export function helpFor(words: readonly string[]): string | undefined {
  const name = words.join(' ');
  const command = COMMANDS.get(name);
  if (command !== undefined) return commandHelp(command);
  if (words.length === 1 && GROUPS.has(name)) return groupHelp(name);
  return undefined;
}

/**
 * What `cairn serve` runs with: the member's configuration and the process options, from the
 * command line and CAIRN_* variables — or, when `--config-file` is given, from that file alone
 * (etcd 3.4: "Other configuration command line flags and environment variables will be
 * ignored if provided").
 */
import type { MemberConfig } from '../server/config.js';
import { configFileArgs, configFilePath } from './config-file.js';
import { parseProcessFlags, type ProcessOptions } from './process-flags.js';
import { parseServeFlags, SERVE_FLAGS } from './serve-flags.js';

export interface ServeSetup {
  readonly config: MemberConfig;
  readonly process: ProcessOptions;
}

export function resolveServeSetup(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServeSetup {
  const file = configFilePath(argv, env);
  if (file === undefined) return { config: parseServeFlags(argv, env), process: parseProcessFlags(SERVE_FLAGS, argv, env) };
  const fromFile = configFileArgs(file, SERVE_FLAGS);
  const others = argv.filter((a) => a.startsWith('-') && !/^--?config-file(=|$)/.test(a));
  const otherEnv = Object.keys(env).filter((k) => k.startsWith('CAIRN_') && k !== 'CAIRN_CONFIG_FILE' && SERVE_FLAGS.some((f) => k === `CAIRN_${f.name.toUpperCase().replace(/-/g, '_')}`));
  const ignored = [...others, ...otherEnv];
  const process = parseProcessFlags(SERVE_FLAGS, fromFile.argv, {});
  const warnings = [
    `loading server configuration from ${file}; other command-line flags and environment variables are ignored, as in etcd${ignored.length > 0 ? ` (ignored: ${ignored.join(' ')})` : ''}`,
    ...fromFile.warnings,
    ...process.warnings,
  ];
  return { config: parseServeFlags(fromFile.argv, {}), process: { ...process, warnings } };
}

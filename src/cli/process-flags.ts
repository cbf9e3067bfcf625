/**
 * etcd's flags about the process rather than the member — logging, metrics listeners, v2 and
 * the config file — so existing etcd unit files and manifests start cairn unchanged. They are
 * parsed with the member's flags (SERVE_FLAGS includes them) and applied by `cairn serve`.
 */
import { FlagError, parseFlags, type FlagSpec } from './flags.js';

export const PROCESS_FLAGS: readonly FlagSpec[] = [
  { name: 'config-file', kind: 'string', help: "path to the server configuration file (etcd's YAML keys); when given, other flags and environment variables are ignored, as in etcd" },
  { name: 'logger', kind: 'string', help: "'zap' or 'capnslog' (accepted; cairn logs JSON lines either way)" },
  { name: 'log-outputs', kind: 'list', help: "where to log: 'default' or 'stderr' (stderr), 'stdout', or file paths" },
  { name: 'enable-v2', kind: 'bool', help: 'accepted for compatibility; cairn does not serve the v2 API (a warning says so)' },
  { name: 'listen-metrics-urls', kind: 'list', help: 'extra URLs that serve /metrics and /health only' },
];

export interface ProcessOptions {
  readonly logOutputs: readonly string[];
  readonly listenMetricsUrls: readonly string[];
  /** Warnings to log once the logger exists (etcd logs them at start). */
  readonly warnings: readonly string[];
}

/** The process flags among `argv`/`env` (parsed against every serve flag, so others pass). */
export function parseProcessFlags(specs: readonly FlagSpec[], argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ProcessOptions {
  const { values } = parseFlags(specs, argv, env, 'CAIRN');
  const logger = values.get('logger') as string | undefined;
  if (logger !== undefined && logger !== 'zap' && logger !== 'capnslog') throw new FlagError(`invalid value "${logger}" for --logger: must be zap or capnslog`);
  const warnings: string[] = [];
  if (values.get('enable-v2') === true) warnings.push('--enable-v2: cairn does not serve the etcd v2 API; only v3 (the JSON gateway) is served');
  if (logger === 'capnslog') warnings.push('--logger=capnslog: cairn writes JSON lines (zap-style) either way');
  const listenMetricsUrls = (values.get('listen-metrics-urls') as string[] | undefined) ?? [];
  for (const url of listenMetricsUrls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new FlagError(`--listen-metrics-urls: "${url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:') throw new FlagError(`--listen-metrics-urls: ${url}: only http:// is supported`);
  }
  return { logOutputs: (values.get('log-outputs') as string[] | undefined) ?? ['default'], listenMetricsUrls, warnings };
}

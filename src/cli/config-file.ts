/**
 * `--config-file`: etcd's YAML configuration (the keys of etcd's `etcd.conf.yml`), read as the
 * equivalent flags. As in etcd 3.4, a config file replaces the command line and the
 * environment: when one is given, every other flag and CAIRN_* variable is ignored (a warning
 * names them). Keys cairn does not know are ignored with a warning, as etcd ignores unknown
 * keys; `null`, empty and `false` values mean "not set".
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { envName, FlagError, type FlagSpec } from './flags.js';

/** etcd's nested TLS sections, mapped to cairn's flat TLS flags. */
const TLS_SECTIONS: Readonly<Record<string, string>> = { 'client-transport-security': '', 'peer-transport-security': 'peer-' };

export interface ConfigFileArgs {
  /** The flags the file stands for, as `--name=value` words. */
  readonly argv: string[];
  readonly warnings: string[];
}

function word(spec: FlagSpec, value: unknown, where: string): string | undefined {
  if (value === null || value === '' || value === false) return undefined;
  if (spec.kind === 'list') {
    const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
    return `--${spec.name}=${items.map((s) => s.trim()).join(',')}`;
  }
  if (typeof value === 'object') throw new FlagError(`${where}: "${spec.name}" must be a scalar`);
  return `--${spec.name}=${String(value)}`;
}

/** The config file named by `--config-file`/CAIRN_CONFIG_FILE, or undefined if none is. */
export function configFilePath(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const m = /^--?config-file(?:=(.*))?$/.exec(a);
    if (m !== null) return m[1] ?? argv[i + 1];
  }
  const fromEnv = env[envName('CAIRN', 'config-file')];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

export function configFileArgs(path: string, specs: readonly FlagSpec[]): ConfigFileArgs {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FlagError(`--config-file ${path}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return { argv: [], warnings: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new FlagError(`--config-file ${path}: expected a mapping of etcd's configuration keys`);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const argv: string[] = [];
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const prefix = TLS_SECTIONS[key];
    if (prefix !== undefined) {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) throw new FlagError(`--config-file ${path}: "${key}" must be a mapping`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const spec = byName.get(`${prefix}${k}`);
        if (spec === undefined) {
          if (v !== null && v !== '' && v !== false) ignored.push(`${key}.${k}`);
          continue;
        }
        const w = word(spec, v, `--config-file ${path}`);
        if (w !== undefined) argv.push(w);
      }
      continue;
    }
    const spec = key === 'config-file' ? undefined : byName.get(key);
    if (spec === undefined) {
      if (value !== null && value !== '' && value !== false) ignored.push(key);
      continue;
    }
    const w = word(spec, value, `--config-file ${path}`);
    if (w !== undefined) argv.push(w);
  }
  const warnings = ignored.length > 0 ? [`--config-file ${path}: keys cairn does not use were ignored: ${ignored.join(', ')}`] : [];
  return { argv, warnings };
}

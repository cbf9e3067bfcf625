/**
 * Command-line flags with Go's `flag` package semantics, so scripts written for etcd work by
 * changing the binary name: `-flag` or `--flag`, `=value` or a separate argument for non-booleans,
 * booleans as `--flag` or `--flag=false`. Every flag can also come from the environment as
 * `<PREFIX>_FLAG_NAME`; giving both is an error, as in etcd.
 */
export type FlagKind = 'string' | 'int' | 'bool' | 'list';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
}

export type FlagValue = string | number | boolean | string[];

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export function envName(prefix: string, flag: string): string {
  return `${prefix}_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function convert(spec: FlagSpec, raw: string, source: string): FlagValue {
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new FlagError(`invalid value "${raw}" for ${source}: not an integer`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new FlagError(`invalid value "${raw}" for ${source}: out of range`);
      return n;
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (['1', 't', 'true'].includes(v)) return true;
      if (['0', 'f', 'false'].includes(v)) return false;
      throw new FlagError(`invalid boolean value "${raw}" for ${source}`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
  }
}

export interface ParsedFlags {
  readonly values: Map<string, FlagValue>;
  readonly positionals: string[];
}

/**
 * Parses `argv` (without the command name) and `env`. Flags not given are absent from `values`
 * so callers apply their own defaults.
 */
export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  envPrefix: string,
): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, FlagValue>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new FlagError(`unknown flag: --${name}`);
    let raw: string;
    if (eq !== -1) raw = body.slice(eq + 1);
    else if (spec.kind === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: --${name}`);
      raw = next;
      i++;
    }
    if (values.has(name)) throw new FlagError(`flag --${name} given more than once`);
    values.set(name, convert(spec, raw, `--${name}`));
  }
  for (const spec of specs) {
    const key = envName(envPrefix, spec.name);
    const raw = env[key];
    if (raw === undefined) continue;
    if (values.has(spec.name)) {
      throw new FlagError(`conflicting environment variable "${key}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`);
    }
    values.set(spec.name, convert(spec, raw, key));
  }
  return { values, positionals };
}

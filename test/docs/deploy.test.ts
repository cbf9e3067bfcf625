/**
 * The deployment files on paper: the Kubernetes manifests parse and have the pieces a cluster
 * needs (headless Service for stable peer names, client Service, PodDisruptionBudget, a
 * StatefulSet whose pods configure themselves from their names), and every flag and CAIRN_*
 * variable the Dockerfile and the manifests use is one `cairn serve` knows — and the
 * configuration they describe passes `cairn serve`'s own validation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envName } from '../../src/cli/flags.js';
import { parseServeFlags, SERVE_FLAGS } from '../../src/cli/serve-flags.js';
import { parseYamlDocuments, type Yaml } from './mini-yaml.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

type Obj = { [key: string]: Yaml };
const obj = (v: Yaml | undefined): Obj => {
  expect(v !== null && typeof v === 'object' && !Array.isArray(v), `expected a mapping, got ${JSON.stringify(v)}`).toBe(true);
  return v as Obj;
};
const list = (v: Yaml | undefined): Yaml[] => {
  expect(Array.isArray(v), `expected a sequence, got ${JSON.stringify(v)}`).toBe(true);
  return v as Yaml[];
};
const at = (v: Yaml | undefined, ...path: string[]): Yaml | undefined =>
  path.reduce<Yaml | undefined>((cur, key) => (cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur[key] : undefined), v);

const FLAG_NAMES = new Set(SERVE_FLAGS.map((f) => f.name));
const ENV_TO_FLAG = new Map(SERVE_FLAGS.map((f) => [envName('CAIRN', f.name), f.name]));

/** `--flag` / `--flag=value` words in a command line or argument list. */
function flagsIn(words: readonly string[]): string[] {
  return words.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=')[0] as string);
}

const manifests = parseYamlDocuments(read('deploy/kubernetes/cairn.yaml')).map(obj);
const byKind = (kind: string): Obj[] => manifests.filter((m) => m['kind'] === kind);
const statefulSet = (): Obj => {
  const sets = byKind('StatefulSet');
  expect(sets).toHaveLength(1);
  return sets[0] as Obj;
};
const container = (): Obj => {
  const containers = list(at(statefulSet(), 'spec', 'template', 'spec', 'containers'));
  const cairn = containers.map(obj).find((c) => c['name'] === 'cairn');
  expect(cairn).toBeDefined();
  return cairn as Obj;
};

/** The container's env with Kubernetes' `$(VAR)` expansion, as in the pod with this name. */
function podEnv(podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list(container()['env']).map(obj)) {
    const name = String(entry['name']);
    if (at(entry, 'valueFrom', 'fieldRef', 'fieldPath') === 'metadata.name') env[name] = podName;
    else env[name] = String(entry['value']).replace(/\$\(([A-Z_]+)\)/g, (_m, v: string) => env[v] ?? `$(${v})`);
  }
  return env;
}

describe('deploy/kubernetes/cairn.yaml', () => {
  it('holds a headless peer Service, a client Service, a PodDisruptionBudget and a StatefulSet', () => {
    expect(manifests.map((m) => m['kind']).sort()).toEqual(['PodDisruptionBudget', 'Service', 'Service', 'StatefulSet']);
    const headless = byKind('Service').find((s) => at(s, 'spec', 'clusterIP') === 'None');
    expect(headless, 'a headless Service').toBeDefined();
    // Members must resolve each other before any is ready (readiness needs a leader).
    expect(at(headless, 'spec', 'publishNotReadyAddresses')).toBe(true);
    const headlessPorts = list(at(headless, 'spec', 'ports')).map((p) => at(p, 'port'));
    expect(headlessPorts).toEqual(expect.arrayContaining([2379, 2380]));
    expect(at(statefulSet(), 'spec', 'serviceName')).toBe(at(headless, 'metadata', 'name'));
    const client = byKind('Service').find((s) => s !== headless);
    expect(list(at(client, 'spec', 'ports')).map((p) => at(p, 'port'))).toEqual([2379]);
  });

  it('runs 3 replicas started in parallel, with a PodDisruptionBudget of one and matching selectors', () => {
    const spec = obj(at(statefulSet(), 'spec'));
    expect(spec['replicas']).toBe(3);
    // OrderedReady would wait for cairn-0 to be ready alone, which it cannot be without a quorum.
    expect(spec['podManagementPolicy']).toBe('Parallel');
    const podLabels = obj(at(spec, 'template', 'metadata', 'labels'));
    const pdb = byKind('PodDisruptionBudget')[0];
    expect(at(pdb, 'apiVersion')).toBe('policy/v1');
    expect(at(pdb, 'spec', 'maxUnavailable')).toBe(1);
    for (const selector of [at(pdb, 'spec', 'selector', 'matchLabels'), at(spec, 'selector', 'matchLabels'), ...byKind('Service').map((s) => at(s, 'spec', 'selector'))]) {
      expect(podLabels).toMatchObject(obj(selector));
    }
  });

  it('keeps the data dir on a claim from the volumeClaimTemplates and probes readiness on /health', () => {
    const c = container();
    const templates = list(at(statefulSet(), 'spec', 'volumeClaimTemplates')).map(obj);
    const mount = list(c['volumeMounts']).map(obj).find((m) => templates.some((t) => at(t, 'metadata', 'name') === m['name']));
    expect(mount, 'a volumeMount of a claim template').toBeDefined();
    const dataDir = podEnv('cairn-0')['CAIRN_DATA_DIR'] as string;
    expect(dataDir.startsWith(`${String(mount?.['mountPath'])}/`) || dataDir === mount?.['mountPath']).toBe(true);
    expect(at(c, 'readinessProbe', 'httpGet', 'path')).toMatch(/^\/health(\?|$)/);
    expect(at(c, 'readinessProbe', 'httpGet', 'port')).toBe(2379);
  });

  it('uses only variables and flags that cairn serve knows', () => {
    const c = container();
    const words = [...list(c['command'] ?? []), ...list(c['args'] ?? [])].map(String);
    for (const flag of flagsIn(words)) expect(FLAG_NAMES, `--${flag}`).toContain(flag);
    const envNames = Object.keys(podEnv('cairn-0')).filter((n) => n.startsWith('CAIRN_'));
    expect(envNames.length).toBeGreaterThan(5);
    for (const name of envNames) expect(ENV_TO_FLAG.has(name), `${name} maps to no serve flag`).toBe(true);
  });

  it('lists every pod by its stable DNS name, and each pod config passes cairn serve validation', () => {
    const replicas = at(statefulSet(), 'spec', 'replicas') as number;
    const setName = String(at(statefulSet(), 'metadata', 'name'));
    const service = String(at(statefulSet(), 'spec', 'serviceName'));
    const expected = Array.from({ length: replicas }, (_, i) => `${setName}-${i}=http://${setName}-${i}.${service}:2380`).join(',');
    for (let i = 0; i < replicas; i++) {
      const env = podEnv(`${setName}-${i}`);
      expect(env['CAIRN_INITIAL_CLUSTER']).toBe(expected);
      const config = parseServeFlags([], env);
      expect(config.name).toBe(`${setName}-${i}`);
      expect(config.initialAdvertisePeerUrls).toEqual([`http://${setName}-${i}.${service}:2380`]);
      expect(config.advertiseClientUrls).toEqual([`http://${setName}-${i}.${service}:2379`]);
      expect([...config.initialCluster.keys()]).toHaveLength(replicas);
    }
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => /^[A-Z]+\s/.test(l));

  it('builds dist/ and runs the compiled CLI on node:20-slim', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:20-slim\b/);
    expect(instructions).toContain('RUN npm run build');
    expect(instructions.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(instructions).toContain('ENTRYPOINT ["node", "dist/src/cli/main.js"]');
    expect(instructions).toContain('CMD ["serve"]');
    expect(read('package.json')).toContain('"build": "tsc -p tsconfig.build.json"');
  });

  it('sets only CAIRN_* variables and flags that cairn serve knows, and their defaults validate', () => {
    const env: Record<string, string> = {};
    for (const line of instructions.filter((l) => l.startsWith('ENV '))) {
      for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1] as string] = m[2] as string;
    }
    const cairnVars = Object.keys(env).filter((k) => k.startsWith('CAIRN_'));
    expect(cairnVars.length).toBeGreaterThan(0);
    for (const name of cairnVars) expect(ENV_TO_FLAG.has(name), `${name} maps to no serve flag`).toBe(true);
    const runWords = instructions.filter((l) => /^(CMD|ENTRYPOINT) /.test(l)).flatMap((l) => l.match(/[^\s"[\],]+/g) ?? []);
    for (const flag of flagsIn(runWords)) expect(FLAG_NAMES, `--${flag}`).toContain(flag);
    const config = parseServeFlags([], env);
    expect(config.listenClientUrls).toEqual(['http://0.0.0.0:2379']);
    expect(config.dataDir).toBe('/var/lib/cairn/data');
  });
});

describe('the subset YAML parser', () => {
  it('reads nested mappings, sequences of mappings, flow lists and quoted scalars', () => {
    const [doc] = parseYamlDocuments('a:\n  b: [x, "y z"]\n  c:\n    - name: n\n      value: "1"\n    - 2\nd: true\n---\ne: null\n');
    expect(doc).toEqual({ a: { b: ['x', 'y z'], c: [{ name: 'n', value: '1' }, 2] }, d: true });
  });

  it('refuses YAML outside the subset instead of misreading it', () => {
    expect(() => parseYamlDocuments('a: |\n  text\n')).toThrow(/line 1/);
    expect(() => parseYamlDocuments('a: 1 # note\n')).toThrow(/trailing comments/);
    expect(() => parseYamlDocuments('a: 1\na: 2\n')).toThrow(/duplicate key a/);
    expect(() => parseYamlDocuments('a:\n    b: 1\n  c: 2\n')).toThrow(/indentation/);
  });
});

describe('deploy/systemd/cairn.service', () => {
  const unit = read('deploy/systemd/cairn.service');
  const directives = (name: string): string[] => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1] as string);

  it('starts cairn serve with flags it knows, whose configuration validates', () => {
    const [exec] = directives('ExecStart');
    const words = (exec ?? '').split(/\s+/);
    expect(words.slice(0, 2)).toEqual(['/usr/bin/cairn', 'serve']);
    for (const flag of flagsIn(words)) expect(FLAG_NAMES, `--${flag}`).toContain(flag);
    expect(parseServeFlags(words.slice(2), {}).dataDir).toBe('/var/lib/cairn/data');
    expect(directives('StateDirectory')).toEqual(['cairn']);
  });

  it('runs unprivileged and hardened', () => {
    for (const [key, value] of [
      ['User', 'cairn'], ['NoNewPrivileges', 'yes'], ['CapabilityBoundingSet', ''], ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes'], ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
      ['SystemCallFilter', '@system-service'], ['UMask', '0077'],
    ] as const) expect(directives(key), key).toContain(value);
    // V8's JIT writes executable memory: this one would make node crash at start.
    expect(directives('MemoryDenyWriteExecute')).toEqual([]);
  });
});

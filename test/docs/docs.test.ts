/**
 * The operator docs cannot fall behind the code: every `cairn serve` flag (and its CAIRN_*
 * variable) is in docs/configuration.md, and every path the HTTP server routes — taken from
 * the built fastify app, so new routes are caught — is in docs/http-api.md; the alert rules
 * name only metrics cairn registers and the operations doc lists as updated.
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { KV } from '../../src/api/kv.js';
import { STREAMING, UNARY } from '../../src/api/rpcs.js';
import { envName } from '../../src/cli/flags.js';
import { SERVE_FLAGS } from '../../src/cli/serve-flags.js';
import { buildApp } from '../../src/http/app.js';
import { PLAIN_ROUTE } from '../../src/http/routes/plain-request.js';
import { MemberMetrics } from '../../src/server/metrics.js';
import { parseYamlDocuments } from './mini-yaml.js';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Every path the client-port app serves, collected as fastify registers them. */
async function servedPaths(): Promise<Set<string>> {
  // Building registers routes without calling the service.
  const app = buildApp({ service: {} as KV, registry: new Registry() });
  const paths = new Set<string>();
  app.addHook('onRoute', (route) => {
    paths.add(route.url);
  });
  await app.ready();
  await app.close();
  return paths;
}

describe('docs/configuration.md', () => {
  const doc = read('docs/configuration.md');

  it('documents every serve flag and its CAIRN_* variable in the flag table', () => {
    const rows = doc.split('\n').filter((l) => l.startsWith('| `--'));
    for (const flag of SERVE_FLAGS) {
      const row = rows.find((r) => r.startsWith(`| \`--${flag.name}\` |`));
      expect(row, `--${flag.name} has a row`).toBeDefined();
      expect(row).toContain(`\`${envName('CAIRN', flag.name)}\``);
    }
    expect(rows).toHaveLength(SERVE_FLAGS.length);
  });
});

describe('docs/http-api.md', () => {
  const doc = read('docs/http-api.md');

  it('names every path the server routes', async () => {
    const paths = await servedPaths();
    expect(paths.size).toBeGreaterThan(40);
    for (const path of paths) {
      if (path === '*') continue;
      const documented = path === PLAIN_ROUTE ? '/kv/<key>' : path;
      expect(doc, `${path} is documented`).toContain(`\`${documented}`);
    }
  });

  it('covers the whole RPC catalogue, aliases included', () => {
    const rpcs = [...Object.values(UNARY), ...Object.values(STREAMING)];
    for (const rpc of rpcs) for (const path of [rpc.path, ...rpc.aliases]) expect(doc).toContain(`\`${path}\``);
  });
});

describe('deploy/prometheus/cairn-alerts.yaml', () => {
  const file = read('deploy/prometheus/cairn-alerts.yaml');
  const ops = read('docs/operations.md');

  it('parses into alert rules, each with an expression, a duration, a severity and a description', () => {
    const [doc] = parseYamlDocuments(file) as [{ groups: { rules: Record<string, unknown>[] }[] }];
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r['alert'])).toEqual(expect.arrayContaining(['CairnNoLeader', 'CairnHighNumberOfLeaderChanges', 'CairnHighFsyncDurations', 'CairnDatabaseQuotaLowSpace']));
    for (const rule of rules) {
      expect(typeof rule['expr']).toBe('string');
      expect(rule['for']).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical']).toContain((rule['labels'] as Record<string, string>)['severity']);
      expect((rule['annotations'] as Record<string, string>)['description']).toBeTruthy();
    }
  });

  it('names only metrics cairn registers and documents as updated, and the doc shows the file as it is', async () => {
    const registered = new Set((await new MemberMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const updatedTable = ops.slice(ops.indexOf('## Metrics'), ops.indexOf('Registered with etcd'));
    const used = new Set([...file.matchAll(/\b(etcd_[a-z_]+)/g)].map((m) => (m[1] as string).replace(/_(bucket|sum|count)$/, '')));
    expect(used.size).toBeGreaterThanOrEqual(5);
    for (const name of used) {
      expect(registered, `${name} is registered`).toContain(name);
      expect(updatedTable, `${name} is in the updated-metrics table`).toContain(`\`${name}`);
    }
    expect(ops).toContain(file.slice(file.indexOf('groups:')));
  });
});

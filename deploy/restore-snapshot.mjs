#!/usr/bin/env node
// Restores a `cairn snapshot save` file into a new, empty data dir: etcdutl's `snapshot restore`,
// which the cairn CLI does not have yet. Takes the file, then `cairn serve`'s flags (or CAIRN_*
// env) for the member being created; run it once per member of the new cluster, same file,
// same --initial-cluster and --initial-cluster-token. Add --skip-hash-check for a file without
// the SHA-256 trailer. Uses the build in dist/ when present (the Docker image), else the
// TypeScript source through tsx (a checkout).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

async function load(rel) {
  const built = new URL(`../dist/src/${rel}.js`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return import(built.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL(`../src/${rel}.ts`, import.meta.url).href);
}

const args = process.argv.slice(2);
const skipHashCheck = args.includes('--skip-hash-check');
const [file, ...flags] = args.filter((a) => a !== '--skip-hash-check');
if (file === undefined || file.startsWith('-')) {
  console.error('usage: restore-snapshot.mjs <snapshot-file> [--skip-hash-check] [cairn serve flags: --name --data-dir --initial-cluster --initial-advertise-peer-urls --initial-cluster-token]');
  process.exit(2);
}
const { parseServeFlags } = await load('cli/serve-flags');
const { restoreSnapshotFile } = await load('server/restore');
try {
  const config = parseServeFlags(flags, process.env);
  const r = await restoreSnapshotFile(file, config, { skipHashCheck });
  const members = r.members.map((m) => `${m.name}=${m.id.toString(16)}`).join(',');
  console.log(`restored ${file} into ${config.dataDir}: cluster ${r.clusterId.toString(16)}, members ${members}`);
} catch (err) {
  console.error(`restore-snapshot: ${err.message}`);
  process.exit(1);
}

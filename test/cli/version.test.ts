/**
 * One version story: `cairn version`, `/version`, `endpoint status` and etcd_server_version
 * all tell cairn's version and the etcd API it speaks (the one its compatibility tests use).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAIRN_VERSION, CLUSTER_VERSION, ETCD_API_VERSION, ETCD_TESTED_VERSION, SERVER_VERSION, VERSION_TEXT } from '../../src/util/version.js';
import { startCliNode, type CliNode } from './commands-node.js';

let n: CliNode;
beforeAll(async () => {
  n = await startCliNode();
});
afterAll(async () => {
  await n.close();
});

describe('versions', () => {
  it('cairn version, /version, endpoint status and the metric agree', async () => {
    expect(SERVER_VERSION).toBe(`${ETCD_TESTED_VERSION}+cairn.${CAIRN_VERSION}`);
    expect(VERSION_TEXT.split('\n')).toEqual([`cairn version: ${CAIRN_VERSION}`, `API version: ${ETCD_API_VERSION}`, expect.stringContaining(`server version: ${SERVER_VERSION}`)]);
    expect(await (await fetch(`${n.url}/version`)).json()).toEqual({ etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION });
    const status = JSON.parse((await n.cli(['endpoint', 'status', '-w', 'json'])).stdout) as { Status: { version: string } }[];
    expect(status[0]?.Status.version).toBe(SERVER_VERSION);
    expect((await n.cli(['endpoint', 'status'])).stdout).toContain(`, ${SERVER_VERSION}, `);
    expect(await (await fetch(`${n.url}/metrics`)).text()).toContain(`etcd_server_version{server_version="${SERVER_VERSION}"} 1`);
  });

  it('cairn\'s version is package.json\'s; the API version is the tested etcd\'s major.minor', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(CAIRN_VERSION).toBe(pkg.version);
    expect(ETCD_TESTED_VERSION.startsWith(`${ETCD_API_VERSION}.`)).toBe(true);
    expect(CLUSTER_VERSION).toBe(`${ETCD_API_VERSION}.0`);
    const etcdctl = spawnSync('etcdctl', ['version'], { encoding: 'utf8' });
    if (etcdctl.status !== 0) return void console.warn('version.test: etcdctl not installed; not comparing its version');
    expect(etcdctl.stdout).toContain(`etcdctl version: ${ETCD_TESTED_VERSION}\nAPI version: ${ETCD_API_VERSION}`);
  });
});

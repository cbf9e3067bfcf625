/**
 * A project that installs cairn gets no EBADENGINE warning on the oldest Node that `engines`
 * claims: every package in cairn's production dependency tree accepts that Node. The tree is the
 * one `npm ls --omit=dev` sees here, which is what a dependent gets — package.json has no
 * `overrides` (npm applies them only at the root, never for a dependent), checked too. This is
 * why light-my-request is pinned to 6.6.0: fastify accepts any 6.x, and 6.8 pulls cookie@2,
 * which wants Node 22.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; overrides?: unknown };

describe('engines', () => {
  it('no production dependency needs a newer Node than cairn claims, with no root-only overrides', () => {
    expect(pkg.overrides).toBeUndefined();
    const oldest = semver.minVersion(pkg.engines.node)?.version as string;
    expect(oldest).toBe('20.19.0');
    const dirs = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').slice(1);
    expect(dirs.length).toBeGreaterThan(20);
    const refusing = dirs.flatMap((dir) => {
      const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; engines?: { node?: string } };
      const wants = p.engines?.node;
      return wants === undefined || semver.satisfies(oldest, wants) ? [] : [`${p.name}@${p.version} wants node ${wants}`];
    });
    expect(refusing).toEqual([]);
  });
});

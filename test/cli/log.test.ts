/**
 * The member's log reads as etcd's: JSON lines with an ISO-8601 `ts`, the level by name, IDs in
 * hex; on stderr by default, stdout or files with --log-outputs; requests at debug (access log).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { addAccessLog } from '../../src/cli/access-log.js';
import { createLogger } from '../../src/cli/log.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('member log', () => {
  it('writes ISO-8601 ts and level names to a file output', () => {
    const file = join(dir, 'a.log');
    const log = createLogger({ level: 'info', name: 'm1', outputs: [file] });
    log.info({ member: '8e9e05c52164694d' }, 'member started');
    log.debug({}, 'not at info');
    const [line, ...rest] = lines(file);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'info', name: 'm1', msg: 'member started' });
    expect(String(line?.['ts'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(line).not.toHaveProperty('time');
  });

  it('goes to stderr by default, stdout when asked', () => {
    const src = resolve(import.meta.dirname, '../../src/cli/log.ts');
    const run = (outputs: string) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `import { createLogger } from ${JSON.stringify(src)}; createLogger({ level: 'info', name: 'x', outputs: ${outputs} }).warn({}, 'hello');`], { encoding: 'utf8' });
    const byDefault = run('undefined');
    expect(byDefault.stdout).toBe('');
    expect(JSON.parse(byDefault.stderr)).toMatchObject({ level: 'warn', msg: 'hello' });
    const stdout = run('["stdout"]');
    expect(stdout.stderr).toBe('');
    expect(JSON.parse(stdout.stdout)).toMatchObject({ level: 'warn', msg: 'hello' });
  }, 30_000);

  it('logs each answered request at debug (the access log)', async () => {
    const file = join(dir, 'access.log');
    const app = Fastify();
    app.get('/health', async () => ({ health: 'true' }));
    addAccessLog(app, createLogger({ level: 'debug', name: 'm1', outputs: [file] }));
    await app.inject({ method: 'GET', url: '/health' });
    await app.close();
    expect(lines(file)).toEqual([expect.objectContaining({ level: 'debug', msg: 'request', method: 'GET', url: '/health', status: 200 })]);
  });
});

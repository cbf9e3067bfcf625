/**
 * LevelWal across real processes: the data dir lock holds against another process, and after
 * kill -9 a restart recovers every acknowledged (synced) batch, intact.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDataDir } from '../../src/storage/data-dir.js';
import { tempDir } from './harness.js';

const writer = fileURLToPath(new URL('./fixtures/wal-writer.ts', import.meta.url));
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('LevelWal across processes', () => {
  it('a second open of a locked dir fails cleanly, in-process and from another process', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const first = await openDataDir(dir);
    const err = await openDataDir(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'StorageLocked' });
    expect((err as Error).message).toContain(dir);
    await first.close();
    const again = await openDataDir(dir);
    await again.close();
  });

  it('kill -9 loses nothing that was acknowledged; the lock is held by the live writer', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let acked = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) acked = Number(line.split(' ')[1]);
          if (acked >= 200) resolve();
        });
        child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      });
      await expect(openDataDir(dir)).rejects.toMatchObject({ code: 'StorageLocked' });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const dd = await openDataDir(dir);
    const loaded = await dd.wal.load();
    await dd.close();
    expect(loaded.hardState.commit).toBeGreaterThanOrEqual(acked);
    expect(loaded.entries.length).toBe(loaded.hardState.commit);
    loaded.entries.forEach((e, i) => {
      expect(e.index).toBe(i + 1);
      expect(Buffer.from(e.data).toString()).toBe(`v${i + 1}`);
    });
  });
});

/** One real `cairn serve` process for the fuzz tests, plus what they all check afterwards. */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { startProcCluster, type ProcCluster } from '../e2e/processes.js';

export async function startFuzzMember(): Promise<ProcCluster> {
  return startProcCluster(1, 'fuzz');
}

export interface RawResponse {
  status: number;
  body: string;
}

/** A POST with an arbitrary body (bytes, not necessarily JSON). */
export async function rawPost(url: string, path: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const r = await fetch(`${url}${path}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(15_000) });
  return { status: r.status, body: await r.text() };
}

/** The member still answers a write and a linearizable read, and reports its memory use. */
export async function stillServing(url: string, key: string, pid?: number): Promise<{ ok: boolean; rssBytes: number }> {
  const v = Buffer.from(`alive-${Date.now()}`).toString('base64');
  const k = Buffer.from(key).toString('base64');
  const put = await rawPost(url, '/v3/kv/put', JSON.stringify({ key: k, value: v }));
  const get = await rawPost(url, '/v3/kv/range', JSON.stringify({ key: k }));
  const rss = pid === undefined ? NaN : Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  const ok = put.status === 200 && get.status === 200 && (JSON.parse(get.body) as { kvs?: Array<{ value: string }> }).kvs?.[0]?.value === v;
  return { ok, rssBytes: rss };
}

/** Opens `path` with a body that is written slowly (or never finished). */
export function slowBody(url: string, path: string, declaredLength: number): { write(b: string | Uint8Array): void; closed: Promise<string>; destroy(): void } {
  const u = new URL(path, url);
  const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-length': String(declaredLength) } });
  const closed = new Promise<string>((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${text}`));
      res.on('error', () => resolve(`${res.statusCode} ${text}`));
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
  });
  return { write: (b) => req.write(b), closed, destroy: () => req.destroy() };
}

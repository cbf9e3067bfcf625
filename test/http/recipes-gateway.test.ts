/**
 * The gateway's /v3/lock and /v3/election paths, run against cairn and against a real etcd 3.4
 * where one is installed (skipped with the printed reason otherwise): the same requests, the
 * same JSON (IDs and revisions aside), the same waiting, Observe's `{"result":…}` lines, and
 * etcd's code-2 errors (HTTP 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCairn, startEtcd, type Endpoints } from '../grpc/servers.js';

type Json = Record<string, unknown>;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const text = (v: unknown): string => Buffer.from(v as string, 'base64').toString();

function suite(name: string, start: () => Promise<Endpoints | undefined>): void {
  describe(name, () => {
    let servers: Endpoints | undefined;
    const post = async (path: string, body: Json, signal?: AbortSignal): Promise<{ status: number; json: Json }> => {
      const res = await fetch(`http://${servers?.hosts[0]}${path}`, { method: 'POST', body: JSON.stringify(body), ...(signal ? { signal } : {}) });
      return { status: res.status, json: (await res.json()) as Json };
    };
    const ok = async (path: string, body: Json): Promise<Json> => {
      const r = await post(path, body);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json;
    };
    beforeAll(async () => {
      servers = await start();
    }, 60_000);
    afterAll(async () => {
      await servers?.stop();
    });

    it('lock: the second Lock waits for Unlock', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const lease = (await ok('/v3/lease/grant', { TTL: 30 }))['ID'] as string;
      const first = await ok('/v3/lock/lock', { name: b64('GL'), lease });
      expect(Object.keys(first)).toEqual(['header', 'key']);
      expect(text(first['key'])).toBe(`GL/${BigInt(lease).toString(16)}`);
      let secondDone = false;
      const second = ok('/v3/lock/lock', { name: b64('GL') }).then((r) => {
        secondDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(secondDone).toBe(false);
      expect(Object.keys(await ok('/v3/lock/unlock', { key: first['key'] }))).toEqual(['header']);
      expect(text((await second)['key'])).toMatch(/^GL\/[0-9a-f]+$/);
      await ok('/v3/lock/unlock', { key: (await second)['key'] });
    });

    it('election: campaign, leader, observe, proclaim, resign', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const a = (await ok('/v3/lease/grant', { TTL: 30 }))['ID'] as string;
      const won = await ok('/v3/election/campaign', { name: b64('GE'), lease: a, value: b64('a1') });
      const leader = won['leader'] as Json;
      expect(Object.keys(leader)).toEqual(['name', 'key', 'rev', 'lease']);
      expect([text(leader['name']), text(leader['key']), leader['lease'], leader['rev']]).toEqual(['GE', `GE/${BigInt(a).toString(16)}`, a, (won['header'] as Json)['revision']]);
      const observer = new AbortController();
      const res = await fetch(`http://${servers.hosts[0]}/v3/election/observe`, { method: 'POST', body: JSON.stringify({ name: b64('GE') }), signal: observer.signal });
      expect(res.status).toBe(200);
      const lines: Json[] = [];
      const reading = (async () => {
        let buffered = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += Buffer.from(chunk).toString();
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            lines.push(JSON.parse(buffered.slice(0, nl)) as Json);
            buffered = buffered.slice(nl + 1);
          }
        }
      })().catch(() => undefined);
      const current = await ok('/v3/election/leader', { name: b64('GE') });
      expect(Object.keys(current)).toEqual(['header', 'kv']);
      expect(text((current['kv'] as Json)['value'])).toBe('a1');
      expect(Object.keys(await ok('/v3/election/proclaim', { leader, value: b64('a2') }))).toEqual(['header']);
      expect(Object.keys(await ok('/v3/election/resign', { leader }))).toEqual(['header']);
      await new Promise((r) => setTimeout(r, 300));
      observer.abort();
      await reading;
      expect(lines.map((l) => text(((l['result'] as Json)['kv'] as Json)['value']))).toEqual(['a1', 'a2']);
    });

    it('election: a campaign whose client hangs up withdraws its key', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const a = (await ok('/v3/lease/grant', { TTL: 30 }))['ID'] as string;
      const b = (await ok('/v3/lease/grant', { TTL: 30 }))['ID'] as string;
      const held = (await ok('/v3/election/campaign', { name: b64('GH'), lease: a, value: b64('a') }))['leader'] as Json;
      const hangUp = new AbortController();
      const waiting = post('/v3/election/campaign', { name: b64('GH'), lease: b, value: b64('b') }, hangUp.signal).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      hangUp.abort();
      await waiting;
      const candidates = async () => Number((await ok('/v3/kv/range', { key: b64('GH/'), range_end: b64('GH0'), count_only: true }))['count'] ?? 0);
      for (let i = 0; i < 50 && (await candidates()) > 1; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await candidates()).toBe(1);
      await ok('/v3/election/resign', { leader: held });
    });

    it('answers failures with code 2 and HTTP 500, as etcd', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const error = (message: string) => ({ status: 500, json: { error: message, code: 2, message } });
      expect(await post('/v3/election/leader', { name: b64('nobody') })).toEqual(error('election: no leader'));
      expect(await post('/v3/election/proclaim', { value: b64('v') })).toEqual(error('"leader" field must be provided'));
      expect(await post('/v3/election/proclaim', { leader: { name: b64('S'), key: b64('S/1'), rev: '1', lease: '1' }, value: b64('v') })).toEqual(error('election: not leader'));
      expect(await post('/v3/lock/unlock', {})).toEqual(error('etcdserver: key is not provided'));
      expect(await post('/v3/lock/lock', { name: b64('M'), lease: '12345' })).toEqual(error('etcdserver: requested lease not found'));
    });
  });
}

suite('lock and election gateway on cairn', () => startCairn(1));
suite('lock and election gateway on etcd', startEtcd);

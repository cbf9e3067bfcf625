/** Client({ username, password }): logs in, sends its token, logs in again when the token dies. */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { isKvError } from '../../src/util/errors.js';
import { startCluster, type TestCluster } from '../server/cluster-harness.js';
import { authApp, fixture } from '../server/auth/auth-harness.js';

let cluster: TestCluster | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await cluster?.stopAll();
  cluster = undefined;
});

describe('Client with a user', () => {
  it('logs in on first use, and again after a password change ended its token', async () => {
    cluster = await startCluster(1, { bcryptCost: 4 });
    app = authApp(await cluster.leader());
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    await fixture(app);
    const root = new Client({ endpoints: [url], username: 'root', password: 'rootpw' });
    await root.put({ key: new TextEncoder().encode('a/1'), value: new TextEncoder().encode('v') });
    const alice = new Client({ endpoints: [url], username: 'alice', password: 'alicepw' });
    expect(fromUtf8((await alice.get('a/1'))!.value)).toBe('v');
    await expect(alice.get('b')).rejects.toSatisfy((e: unknown) => isKvError(e, 'PermissionDenied'));
    // Changing the password to the same one still ends alice's tokens: her client logs in again.
    await root.userChangePassword({ name: 'alice', password: 'alicepw' });
    expect(fromUtf8((await alice.get('a/1'))!.value)).toBe('v');
    const batches = alice.watchKey('a/', { prefix: true, startRevision: 1 });
    const first = await batches.next();
    const batch = first.value as { events: readonly { kv: { key: Uint8Array } }[] };
    expect(batch.events.map((e) => fromUtf8(e.kv.key))).toContain('a/1');
    await batches.return(undefined);
    const anonymous = new Client({ endpoints: [url] });
    await expect(anonymous.get('a/1')).rejects.toSatisfy((e: unknown) => isKvError(e, 'UserEmpty'));
    const wrong = new Client({ endpoints: [url], username: 'alice', password: 'nope' });
    await expect(wrong.get('a/1')).rejects.toSatisfy((e: unknown) => isKvError(e, 'AuthFailed'));
  });
});

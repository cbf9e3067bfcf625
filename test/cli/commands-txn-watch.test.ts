/** txn (stdin and -i) and watch (events until SIGINT, history, interactive, exec) against a real member. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { startCliNode, type CliNode } from './commands-node.js';

let n: CliNode;
beforeAll(async () => {
  n = await startCliNode();
});
afterAll(async () => {
  await n?.close();
});

const enc = (s: string) => new TextEncoder().encode(s);

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a watch-like command, returns its live output and a stop() that sends "SIGINT". */
function live(argv: string[], stdin?: AsyncIterable<string>) {
  const abort = new AbortController();
  const out = { stdout: '', stderr: '' };
  const done = runCli(['--endpoints', n.endpoint, ...argv], {
    signal: abort.signal,
    ...(stdin !== undefined ? { stdin } : {}),
    onStdout: (t) => (out.stdout += t),
    onStderr: (t) => (out.stderr += t),
  });
  return {
    out,
    stop: async () => {
      abort.abort();
      return done;
    },
    done,
  };
}

describe('txn', () => {
  it('runs the success branch and prints SUCCESS then each op output, a blank line before each', async () => {
    await n.cli(['put', 't/k', 'v1']);
    const stdin = 'val("t/k") = "v1"\nmod("t/k") > "0"\n\nput t/k v2\nget t/k\ndel t/other\n\nput t/k failed\n\n';
    const r = await n.cli(['txn'], { stdin });
    expect(r).toEqual({ stdout: 'SUCCESS\n\nOK\n\nt/k\nv2\n\n0\n', stderr: '', code: 0 });
  });

  it('runs the failure branch when a compare is false', async () => {
    const r = await n.cli(['txn'], { stdin: 'create("t/k") = "0"\n\nput t/k never\n\nget t/k --print-value-only\n\n' });
    expect(r.stdout).toBe('FAILURE\n\nt/k\nv2\n');
    expect(new TextDecoder().decode((await n.node.range({ key: enc('t/k') })).kvs[0]?.value)).toBe('v2');
  });

  it('-i prints etcdctl\'s prompts; op flags and quoted values work; end of input ends a section', async () => {
    const r = await n.cli(['txn', '-i'], { stdin: 'ver("t/k") < "5"\n\nput t/q "two words" --prev-kv\nput t/p \'single quoted\'' });
    expect(r.stdout).toBe('compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\nSUCCESS\n\nOK\n\nOK\n');
    expect((await n.cli(['get', 't/q', '--print-value-only'])).stdout).toBe('two words\n');
    expect((await n.cli(['get', 't/p', '--print-value-only'])).stdout).toBe('single quoted\n');
  });

  it('-w json prints the TxnResponse with Go\'s oneof wrapper', async () => {
    const j = JSON.parse((await n.cli(['txn', '-w', 'json'], { stdin: '\nget t/k\n\n\n' })).stdout);
    expect(j.succeeded).toBe(true);
    expect(j.responses[0].Response.ResponseRange.kvs[0].value).toBe(Buffer.from('v2').toString('base64'));
  });

  it('rejects malformed compares and ops with exit 3 (etcdctl\'s ExitInvalidInput), and server errors verbatim', async () => {
    const bad = await n.cli(['txn'], { stdin: 'mod(t/k) > 0\n\n\n' });
    expect(bad).toMatchObject({ code: 3, stderr: 'Error: malformed comparison: mod(t/k) > 0\n' });
    expect((await n.cli(['txn'], { stdin: 'size("k") = "1"\n\n' })).stderr).toContain('(unknown target size)');
    expect((await n.cli(['txn'], { stdin: '\nfrob k v\n\n' })).stderr).toContain('invalid txn request: frob k v');
    const dup = await n.cli(['txn'], { stdin: '\nput t/d 1\nput t/d 2\n\n' });
    expect(dup.stderr).toBe('Error: etcdserver: duplicate key given in txn request\n');
  });
});

describe('watch', () => {
  it('prints PUT and DELETE events as they happen, until interrupted (exit 0)', async () => {
    const w = live(['watch', 'w/k']);
    await new Promise((r) => setTimeout(r, 150)); // the created reply
    await n.cli(['put', 'w/k', 'a']);
    await n.cli(['put', 'w/other', 'ignored']);
    await n.cli(['del', 'w/k']);
    await until(() => w.out.stdout.includes('DELETE'), 'the delete event');
    const r = await w.stop();
    expect(r.code).toBe(0);
    expect(w.out.stdout).toBe('PUT\nw/k\na\nDELETE\nw/k\n\n');
  });

  it('--prefix --prev-kv --rev replays history and shows previous values', async () => {
    await n.cli(['put', 'wp/a', '1']);
    const rev = (await n.node.range({ key: enc('wp/a') })).kvs[0]?.modRevision as number;
    await n.cli(['put', 'wp/a', '2']);
    const w = live(['watch', 'wp/', '--prefix', '--prev-kv', '--rev', String(rev)]);
    await until(() => w.out.stdout.split('\n').length >= 9, 'two replayed events');
    await w.stop();
    expect(w.out.stdout).toBe('PUT\nwp/a\n1\nPUT\nwp/a\n1\nwp/a\n2\n');
  });

  it('-w json prints one WatchResponse per batch with Go field names', async () => {
    const w = live(['watch', 'wj', '-w', 'json']);
    await new Promise((r) => setTimeout(r, 150));
    await n.cli(['put', 'wj', 'x']);
    await until(() => w.out.stdout.includes('\n'), 'one response');
    await w.stop();
    const j = JSON.parse(w.out.stdout);
    expect(j.Events[0].kv.key).toBe(Buffer.from('wj').toString('base64'));
    expect(j).toMatchObject({ CompactRevision: 0, Canceled: false, Created: false });
    expect(j.Header.revision).toBe(j.Events[0].kv.mod_revision);
  });

  it('-i reads watch lines from stdin and watches each on one stream', async () => {
    let feed: (line: string) => void = () => {};
    const lines = (async function* () {
      for (;;) yield await new Promise<string>((r) => (feed = r));
    })();
    const w = live(['watch', '-i'], lines);
    await new Promise((r) => setTimeout(r, 50));
    feed('watch wi/a\n');
    await new Promise((r) => setTimeout(r, 150));
    feed('watch wi/b --prefix\n');
    await new Promise((r) => setTimeout(r, 150));
    feed('bogus line\n');
    await n.cli(['put', 'wi/a', '1']);
    await n.cli(['put', 'wi/b/x', '2']);
    await until(() => w.out.stdout.includes('wi/b/x'), 'both watches');
    await w.stop();
    expect(w.out.stdout).toBe('PUT\nwi/a\n1\nPUT\nwi/b/x\n2\n');
    expect(w.out.stderr).toContain('Invalid command bogus line (only "watch" and "progress" are supported)');
  });

  it('reports a watch canceled by compaction and exits 5 (etcdctl\'s ExitInterrupted)', async () => {
    await n.cli(['put', 'wc', '1']);
    const old = (await n.node.range({ key: enc('wc') })).header.revision;
    await n.cli(['put', 'wc', '2']);
    await n.cli(['put', 'wc', '3']);
    await n.cli(['compaction', String(old + 1)]);
    const r = await n.cli(['watch', 'wc', '--rev', String(old)]);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('watch was canceled (etcdserver: mvcc: required revision has been compacted)\nError: watch is canceled by the server\n');
  });

  it('fails over to the next endpoint when one is down, as clientv3 does', async () => {
    const abort = new AbortController();
    let out = '';
    // From the next revision, so the event is replayed however late the second connection is.
    const from = (await n.node.range({ key: enc('wf') })).header.revision + 1;
    const done = runCli(['watch', 'wf', '--rev', String(from), '--endpoints', `127.0.0.1:1,${n.endpoint}`], { signal: abort.signal, onStdout: (t) => (out += t) });
    await n.cli(['put', 'wf', 'after-failover']);
    await until(() => out.includes('after-failover'), 'the event through the second endpoint');
    abort.abort();
    expect(await done).toMatchObject({ code: 0 });
    expect(out).toBe('PUT\nwf\nafter-failover\n');
  });

  it('gives up with exit 1 when no endpoint can be reached', async () => {
    const r = await runCli(['watch', 'k', '--endpoints', '127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: watch could not reconnect: /);
  });

  it('runs the command after -- for each event with ETCD_WATCH_* set', async () => {
    const w = live(['watch', 'we', '--', process.execPath, '-e', 'console.log("got", process.env.ETCD_WATCH_KEY, process.env.ETCD_WATCH_VALUE, process.env.ETCD_WATCH_EVENT_TYPE)']);
    await new Promise((r) => setTimeout(r, 150));
    await n.cli(['put', 'we', 'val']);
    await until(() => w.out.stdout.includes('got'), 'the exec output', 10_000);
    await w.stop();
    expect(w.out.stdout).toBe('PUT\nwe\nval\ngot "we" "val" "PUT"\n');
  });
});

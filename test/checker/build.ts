/** Terse constructors for hand-written KV histories in tests. */
import type { Operation } from './history.js';
import type { CasExpectation, KvInput, KvOutput } from './kv-model.js';

type KvOp = Operation<KvInput, KvOutput>;
type Interval = readonly [call: number, ret: number];
type Outcome = KvOutput | 'unknown' | 'failed';

export class HistoryBuilder {
  readonly ops: KvOp[] = [];

  private add(client: number, input: KvInput, outcome: Outcome, [call, ret]: Interval): this {
    const id = this.ops.length;
    if (outcome === 'unknown') this.ops.push({ id, client, input, status: 'unknown', call, return: Infinity });
    else if (outcome === 'failed') this.ops.push({ id, client, input, status: 'failed', call, return: ret });
    else this.ops.push({ id, client, input, output: outcome, status: 'ok', call, return: ret });
    return this;
  }

  /** `value` undefined = absent. */
  get(client: number, key: string, at: Interval, value: string | undefined, rev: { mod?: number; rev?: number } = {}): this {
    const out: KvOutput = {
      op: 'get',
      ...(value === undefined ? {} : { value }),
      ...(rev.mod === undefined ? {} : { modRevision: rev.mod }),
      ...(rev.rev === undefined ? {} : { revision: rev.rev }),
    };
    return this.add(client, { op: 'get', key }, out, at);
  }

  getFailed(client: number, key: string, at: Interval, outcome: 'unknown' | 'failed'): this {
    return this.add(client, { op: 'get', key }, outcome, at);
  }

  put(client: number, key: string, value: string, at: Interval, result: number | 'ok' | 'unknown' | 'failed' = 'ok'): this {
    const out: Outcome =
      result === 'unknown' || result === 'failed' ? result : { op: 'put', ...(result === 'ok' ? {} : { revision: result }) };
    return this.add(client, { op: 'put', key, value }, out, at);
  }

  del(client: number, key: string, at: Interval, deleted: number | 'unknown', revision?: number): this {
    const out: Outcome = deleted === 'unknown' ? 'unknown' : { op: 'delete', deleted, ...(revision === undefined ? {} : { revision }) };
    return this.add(client, { op: 'delete', key }, out, at);
  }

  cas(client: number, key: string, expect: CasExpectation, value: string, at: Interval, succeeded: boolean | 'unknown', revision?: number): this {
    const out: Outcome =
      succeeded === 'unknown' ? 'unknown' : { op: 'cas', succeeded, ...(revision === undefined ? {} : { revision }) };
    return this.add(client, { op: 'cas', key, expect, value }, out, at);
  }
}

export const history = (): HistoryBuilder => new HistoryBuilder();

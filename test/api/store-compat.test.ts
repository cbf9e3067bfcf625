/**
 * The api request types must stay assignable to the store's (src/store/requests.ts,
 * src/store/watch-types.ts), so the member passes decoded requests straight through — except
 * lease IDs, bigints in the API and numbers in the store, converted by src/server/api-ids.ts.
 * Checked by the type checker; the runtime part only pins the shared RequestOp tags.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as api from '../../src/api/kv.js';
import type * as store from '../../src/store/requests.js';
import type { WatchRequest as StoreWatchCreate } from '../../src/store/watch-types.js';
import type { KeyValue as StoreKeyValue, Event as StoreEvent } from '../../src/store/types.js';

describe('api types match the store types', () => {
  it('requests are assignable to the store requests', () => {
    expectTypeOf<api.RangeRequest>().toMatchTypeOf<store.RangeRequest>();
    expectTypeOf<Omit<api.PutRequest, 'lease'>>().toMatchTypeOf<Omit<store.PutRequest, 'lease'>>();
    expectTypeOf<api.PutRequest['lease']>().toEqualTypeOf<bigint | undefined>();
    expectTypeOf<api.DeleteRangeRequest>().toMatchTypeOf<store.DeleteRangeRequest>();
    expectTypeOf<Omit<api.Compare, 'lease'>>().toEqualTypeOf<Omit<store.Compare, 'lease'>>();
    expectTypeOf<api.Compare['lease']>().toEqualTypeOf<bigint | undefined>();
    expectTypeOf<api.WatchCreateRequest>().toMatchTypeOf<StoreWatchCreate>();
  });

  it('store data types are assignable to the api ones', () => {
    expectTypeOf<Omit<StoreKeyValue, 'lease'>>().toMatchTypeOf<Omit<api.KeyValue, 'lease'>>();
    expectTypeOf<StoreEvent['type']>().toEqualTypeOf<api.Event['type']>();
  });

  it('RequestOp tags are the same words', () => {
    const tags: Array<api.RequestOp['type']> = ['range', 'put', 'deleteRange', 'txn'];
    const storeTags: Array<store.RequestOp['type']> = tags;
    expect(storeTags).toEqual(['range', 'put', 'deleteRange', 'txn']);
  });
});

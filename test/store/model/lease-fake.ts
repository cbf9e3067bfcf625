/** A stand-in lessor for KV tests: leases 1 and 2 exist; attach/detach are tracked per key. */
import { toHex } from '../../../src/util/bytes.js';
import type { LeaseHooks } from '../../../src/store/types.js';

export class FakeLeases implements LeaseHooks {
  /** hex key → lease. */
  readonly attached = new Map<string, number>();
  readonly log: string[] = [];

  constructor(readonly existing: ReadonlySet<number> = new Set([1, 2])) {}

  exists(lease: number): boolean {
    return this.existing.has(lease);
  }

  attach(lease: number, key: Uint8Array): void {
    this.log.push(`attach ${lease} ${toHex(key)}`);
    this.attached.set(toHex(key), lease);
  }

  detach(lease: number, key: Uint8Array): void {
    this.log.push(`detach ${lease} ${toHex(key)}`);
    if (this.attached.get(toHex(key)) !== lease) throw new Error(`detach of lease ${lease} from ${toHex(key)}, which holds ${this.attached.get(toHex(key))}`);
    this.attached.delete(toHex(key));
  }
}

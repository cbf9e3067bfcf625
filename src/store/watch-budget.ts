/**
 * The member-wide bound on catch-up work (issue 15): bytes of history that sync rounds have read
 * and that consumers have not yet taken. 500 catch-up streams that never read once held 40 MB
 * each until V8 gave up; with this budget a round reads only what is left of it, and what is
 * read is returned when the last response that holds it leaves its stream (taken, dropped,
 * canceled or closed). One read shared by many watchers is charged once.
 */
import { assert } from '../util/assert.js';

export class CatchUpBudget {
  private used = 0;

  /** `onFree` runs when bytes come back, so a round that found the budget spent can retry. */
  constructor(readonly limit: number, private readonly onFree: () => void) {}

  get inUse(): number {
    return this.used;
  }

  available(): number {
    return Math.max(0, this.limit - this.used);
  }

  /** Charges one history read; the caller holds the first reference. */
  charge(bytes: number): CatchUpRead {
    assert(Number.isSafeInteger(bytes) && bytes >= 0, () => `catch-up charge of ${bytes} bytes`);
    this.used += bytes;
    return new CatchUpRead(this, bytes);
  }

  /** Called by a read when its last reference goes. */
  refund(bytes: number): void {
    this.used -= bytes;
    assert(this.used >= 0, () => `catch-up budget went negative (${this.used})`);
    if (bytes > 0) this.onFree();
  }
}

/** One history read, reference-counted by the responses built from it. */
export class CatchUpRead {
  private refs = 1;

  constructor(private readonly budget: CatchUpBudget, readonly bytes: number) {}

  retain(): this {
    assert(this.refs > 0, 'catch-up read retained after its last release');
    this.refs++;
    return this;
  }

  release(): void {
    assert(this.refs > 0, 'catch-up read released more often than retained');
    this.refs--;
    if (this.refs === 0) this.budget.refund(this.bytes);
  }
}

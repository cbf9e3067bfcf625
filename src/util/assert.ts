/**
 * Invariant checks that stay on in production (DESIGN.md: "Invariants are assertions").
 * A failed assertion means the process holds state it cannot trust; callers must not catch it
 * to carry on.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === 'function' ? message() : message);
  }
}

/** Ends every switch over a discriminated union, so a new variant is a compile error. */
export function assertNever(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

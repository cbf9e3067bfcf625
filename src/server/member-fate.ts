/**
 * How a member stops serving for good while its process lives on: it learns it was removed from
 * the cluster (etcd stops such a member: it may no longer serve or vote), or its storage failed
 * (etcd treats a failed WAL write as fatal: it cannot promise what it acknowledges). Either way
 * the waiting reads and writes fail at once, and the host is told through a promise.
 */
import { REMOVED_MESSAGE } from '../transport/handshake.js';
import { KvError } from '../util/errors.js';
import type { Logger } from './logger.js';
import { logStorageFailure } from './member-reports.js';

export interface MemberFateDeps {
  readonly log: Logger;
  readonly memberId: number;
  /** The member was stopped by its host: a removal learned afterwards changes nothing. */
  stopped(): boolean;
  /** Fails what is waiting (reads and proposals) with "server stopped". */
  halt(): void;
}

export class MemberFate {
  private removedError: KvError | undefined;
  private fatalError: unknown;
  private signalRemoved: () => void = () => undefined;
  /** Resolves when this member learns it was removed from the cluster (`cairn serve` then exits). */
  readonly whenRemoved = new Promise<void>((resolve) => (this.signalRemoved = resolve));
  private signalFailed: (err: Error) => void = () => undefined;
  /**
   * Resolves (never rejects: an unobserved failure must not end an embedding process) with the
   * error that stopped this member: its storage failed, so it can no longer promise durability.
   * `cairn serve` then exits non-zero; an embedding host decides for itself.
   */
  readonly whenFailed = new Promise<Error>((resolve) => (this.signalFailed = resolve));

  constructor(private readonly d: MemberFateDeps) {}

  /** Removed or failed. */
  get ended(): boolean {
    return this.fatalError !== undefined;
  }

  /** What stopped it, for status's errors. */
  get cause(): unknown {
    return this.fatalError;
  }

  /** Throws what a request to an ended member answers. */
  check(): void {
    if (this.removedError !== undefined) throw this.removedError;
    if (this.fatalError !== undefined) throw new KvError('Stopped');
  }

  removed(): void {
    if (this.fatalError !== undefined || this.d.stopped()) return;
    this.d.log.warn({ member: this.d.memberId.toString(16) }, 'the member has been permanently removed from the cluster');
    this.removedError = new KvError('Stopped', REMOVED_MESSAGE);
    this.fatalError = this.removedError;
    this.signalRemoved();
    this.d.halt();
  }

  /**
   * Storage failed: name the errno and path, and fail the waiting writes with "server stopped",
   * which clients read as "may or may not have been applied" (client/errors.ts MAYBE_APPLIED): an
   * entry may already be committed by the others, or even applied here before the failure.
   */
  failed(err: unknown): void {
    if (this.fatalError !== undefined) return;
    this.fatalError = err;
    logStorageFailure(this.d.log, this.d.memberId, err);
    this.d.halt();
    this.signalFailed(err instanceof Error ? err : new Error(String(err)));
  }
}

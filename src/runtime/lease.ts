// Where leases are renewed. An invocation holds its task's lease from acquire to
// release; a timer extends it every renewIntervalMs. The keeper also tells the
// task loop whether it may still write: only while the lease is known to be valid
// by the local clock (expiresAt minus a margin for clock skew and the write in
// flight). A renewal that finds another epoch (FencedError) aborts at once, and
// after that the invocation writes nothing: no records, no offsets, no status.
import { FencedError } from '../connect/errors.js';
import type { Logger } from '../logging.js';
import type { LeaseGrant, Store } from '../store/index.js';

export interface LeaseKeeperOptions {
  store: Store;
  connector: string;
  task: number;
  grant: LeaseGrant;
  ttlMs: number;
  renewIntervalMs: number;
  /** Writes stop this long before the lease would expire unrenewed. */
  safetyMarginMs: number;
  clock: () => number;
  logger: Logger;
  /** Called once, when the lease is lost (fenced or expired unrenewed). */
  onLost: (reason: string) => void;
  /** Called after each renewal with the task's current config generation. */
  onRenewed?: (grant: LeaseGrant) => void | Promise<void>;
}

export class LeaseKeeper {
  private grant: LeaseGrant;
  private timer: NodeJS.Timeout | undefined;
  private lostReason: string | undefined;
  private renewing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: LeaseKeeperOptions) {
    this.grant = opts.grant;
  }

  get epoch(): number {
    return this.grant.epoch;
  }
  get expiresAt(): number {
    return this.grant.expiresAt;
  }
  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  start(): void {
    this.timer = setInterval(() => void this.renew(), this.opts.renewIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops renewing and waits for a renewal in flight, so none lands after a release. */
  async quiesce(): Promise<void> {
    this.stop();
    await this.renewing;
  }

  /** True while this invocation may write: not fenced and not near expiry. */
  isValid(): boolean {
    if (this.lost) return false;
    if (this.opts.clock() >= this.grant.expiresAt - this.opts.safetyMarginMs) {
      this.markLost(`lease near expiry at ${new Date(this.grant.expiresAt).toISOString()} without renewal`);
      return false;
    }
    return true;
  }

  /** Renew now (also used before a final commit). Concurrent callers share one write. */
  renew(): Promise<void> {
    if (this.lost || this.stopped) return Promise.resolve();
    this.renewing ??= this.doRenew().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async doRenew(): Promise<void> {
    const { store, connector, task, ttlMs, logger } = this.opts;
    try {
      this.grant = await store.renewLease(connector, task, this.grant.epoch, ttlMs);
      await this.opts.onRenewed?.(this.grant);
    } catch (err) {
      // After stop() the invocation is releasing the lease itself: not a loss.
      if (err instanceof FencedError) {
        if (!this.stopped) this.markLost(`fenced: ${err.message}`);
      }
      // A failed renewal (throttling, network) is retried by the next tick; the lease
      // stays usable only until isValid() says it is too close to expiry.
      else logger.warn('lease renewal failed; will retry', { err });
    }
  }

  private markLost(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.stop();
    this.opts.logger.warn('lease lost', { reason, epoch: this.grant.epoch });
    this.opts.onLost(reason);
  }
}

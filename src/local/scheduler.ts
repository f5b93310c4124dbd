// The coordinator schedule of `slipway dev` (EventBridge's role in AWS), with the
// REST API's kicks folded in. Locally one reconcile runs at a time: a kick while one
// runs asks for one more pass afterwards, never a pile of them. (In AWS concurrent
// coordinators are safe by design, through launch claims; on a laptop a pile-up of
// cold starts would only starve the machine.)
import type { Logger } from '../logging.js';

export class CoordinatorSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    /** One reconcile pass, resolved when it is over (a RequestResponse invoke). */
    private readonly runOnce: () => Promise<void>,
    private readonly periodMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.kick(), this.periodMs);
    this.timer.unref();
  }

  /** Ask for a pass now; resolves when a pass that started after this call is over. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.runOnce();
      } catch (err) {
        this.logger.warn('coordinator run failed', { err });
      }
    } while (this.again && !this.stopped);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

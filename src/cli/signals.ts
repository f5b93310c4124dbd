// Foreground commands (broker, dev) run until SIGINT/SIGTERM.
import type { Logger } from '../logging.js';
import { EXIT_FAILURE } from './usage.js';

/**
 * Resolves on the first SIGINT/SIGTERM. Wrappers (npm, npx) forward the
 * terminal's Ctrl-C, so the same signal often arrives twice at once: repeats
 * within a second are ignored, a later one exits without waiting for close.
 */
export function untilSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let firstAt: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstAt === undefined) {
        firstAt = Date.now();
        resolve(signal);
      } else if (Date.now() - firstAt > 1000) {
        log.warn('signalled again while closing; exiting without a clean close', { signal });
        process.exit(EXIT_FAILURE);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

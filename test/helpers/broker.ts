// An embedded broker per test file: a private data dir, a free port, restart on
// the same dir and port, and one place that disconnects every client a test made.
import type { ChildProcess } from 'node:child_process';
import { startBroker, type Broker, type BrokerOptions } from '../../src/local/broker/index.js';
import { tempDir } from './env.js';

export interface TestBroker {
  /** The running broker (a new object after restart()). */
  readonly broker: Broker;
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** close() and start again on the same data dir and port: what survives a restart is on disk. */
  restart(): Promise<void>;
  /** Stop the broker and remove its data dir. */
  close(): Promise<void>;
}

export async function startTestBroker(opts: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const tb = testBroker(opts);
  await tb.start();
  return tb;
}

/** A test broker that runs from start() to close(); reading it outside that throws. */
export function testBroker(opts: Partial<BrokerOptions> = {}): TestBroker & { start(): Promise<void> } {
  let tmp: { dir: string; cleanup: () => void } | null = null;
  let base: BrokerOptions | null = null;
  let broker: Broker | null = null;
  const current = (): Broker => {
    if (!broker) throw new Error(tmp ? 'test broker is closed' : 'test broker is not started');
    return broker;
  };
  return {
    get broker() {
      return current();
    },
    get bootstrap() {
      return current().bootstrap;
    },
    get host() {
      return current().host;
    },
    get port() {
      return current().port;
    },
    get dataDir() {
      if (!tmp) throw new Error('test broker is not started');
      return tmp.dir;
    },
    async start() {
      tmp = tempDir('slipway-broker-');
      base = { logLevel: 'error', initialRebalanceDelayMs: 100, ...opts, dataDir: tmp.dir, port: opts.port ?? 0 };
      broker = await startBroker(base);
    },
    async restart() {
      const port = current().port;
      await current().close();
      broker = null;
      broker = await startBroker({ ...base!, port });
    },
    async close() {
      try {
        if (broker) await broker.close();
      } finally {
        broker = null;
        tmp?.cleanup();
      }
    },
  };
}

/**
 * Everything a test starts, stopped in reverse order by run(): kafkajs clients
 * (disconnect) and child processes (SIGKILL). Errors while stopping are ignored:
 * the broker may already be gone.
 */
export class Cleanup {
  private readonly steps: Array<() => Promise<void> | void> = [];

  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  /** A kafkajs producer, consumer or admin, disconnected at cleanup. */
  client<T extends { disconnect(): Promise<void> }>(client: T): T {
    this.add(() => client.disconnect());
    return client;
  }

  /** A child process (kcat), killed at cleanup if still running. */
  child<T extends ChildProcess>(child: T): T {
    this.add(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return child;
  }

  async run(): Promise<void> {
    const steps = this.steps.splice(0).reverse();
    for (const step of steps) {
      try {
        await step();
      } catch {
        // already stopped, or the broker is gone: nothing left to release
      }
    }
  }
}

/** A topic name unique within the run, so tests in one file never share data. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

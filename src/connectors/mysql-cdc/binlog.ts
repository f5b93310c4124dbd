// The binlog client: one zongji connection at a time, its events buffered for
// poll() to take, and everything that ends a connection turned into an item in
// that same buffer, after the events received before it:
//   lost    the connection is gone (server restart, network, silence, another
//           client with our server id): reconnect from your own position
//   failed  retrying cannot help (missing grants, purged binlog, bad password)
// The consumer knows the position to resume from (the last complete
// transaction, plus what it already sent of the one in flight), so it decides
// when and where to start() again.
//
// Backpressure: at `highWater` buffered events the socket is paused, and
// resumed once poll() took the buffer below `lowWater`. zongji pauses the
// same socket while it fetches a table's columns, so both holds are tracked
// and the socket flows only when neither holds it.
//
// Silence: zongji has no keepalive, and a half-open TCP connection stays quiet
// forever. The client asks the server for protocol heartbeats
// (@master_heartbeat_period) and declares the connection lost when nothing,
// not even a heartbeat, arrived for `silenceTimeoutMs`.

import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { Connection } from 'mysql2';
import { ConnectError } from '../../connect/errors.js';
import type { Logger } from '../../logging.js';

export interface DatabaseAccess {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | null;
  readonly connectTimeoutMs: number;
}

/** Where a connection starts: a GTID position when known, else file and position. */
export type BinlogStart = { readonly gtids: string } | { readonly file: string; readonly pos: number };

export interface BinlogReaderOptions {
  readonly access: DatabaseAccess;
  readonly serverId: number;
  readonly logger: Logger;
  /** How often an idle server sends a protocol heartbeat. */
  readonly heartbeatPeriodMs?: number;
  /** No event nor heartbeat for this long: the connection is lost. Default 4 heartbeat periods. */
  readonly silenceTimeoutMs?: number;
  readonly highWater?: number;
  readonly lowWater?: number;
  readonly clock?: () => number;
}

export type BinlogItem =
  | { readonly kind: 'event'; readonly event: AnyBinlogEvent; readonly position: number }
  | { readonly kind: 'lost'; readonly error: Error }
  | { readonly kind: 'failed'; readonly error: Error };

/** What mysql2 puts on a server or socket error (zongji passes it on). */
export interface MysqlError extends Error {
  errno?: number;
  code?: string;
  sqlState?: string;
  sqlMessage?: string;
}

export const INCLUDED_EVENTS = ['rotate', 'mariadbgtid', 'gtid', 'query', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'heartbeat'];

/** Server errors that retrying cannot fix. 1236: the requested binlog position is gone (purged). */
const FATAL_ERRNOS = new Set([1045, 1044, 1142, 1227, 1236, 1370, 1698]);
/** Errors after which a new connection may work. 4052: another client took our server id. */
const TRANSIENT_ERRNOS = new Set([1040, 1053, 1205, 2002, 2003, 2006, 2013, 4052, 1927]);
const TRANSIENT_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
]);

export function isTransientMysqlError(err: MysqlError): boolean {
  if (err.errno !== undefined && FATAL_ERRNOS.has(err.errno)) return false;
  if (err.errno !== undefined && TRANSIENT_ERRNOS.has(err.errno)) return true;
  return err.code !== undefined && TRANSIENT_CODES.has(err.code);
}

export class BinlogReader {
  private zj: ZongJi | undefined;
  /** Increments with every connection, so a late callback of an old one changes nothing. */
  private epoch = 0;
  private items: BinlogItem[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private lastActivity = 0;
  private silenceTimer: NodeJS.Timeout | undefined;
  private socket: { pause(): void; resume(): void } | undefined;
  private ourHold = false;
  private zongjiHold = false;
  private readonly heartbeatPeriodMs: number;
  private readonly silenceTimeoutMs: number;
  private readonly highWater: number;
  private readonly lowWater: number;
  private readonly clock: () => number;
  /** Set once the server said which flavour it is. */
  isMariaDb: boolean | undefined;

  constructor(private readonly opts: BinlogReaderOptions) {
    this.heartbeatPeriodMs = opts.heartbeatPeriodMs ?? 5_000;
    this.silenceTimeoutMs = opts.silenceTimeoutMs ?? 4 * this.heartbeatPeriodMs;
    this.highWater = opts.highWater ?? 20_000;
    this.lowWater = opts.lowWater ?? Math.floor(this.highWater / 4);
    this.clock = opts.clock ?? Date.now;
  }

  get connected(): boolean {
    return this.zj !== undefined;
  }

  /** Opens a new connection from `from`; the events arrive through take(). */
  start(from: BinlogStart): void {
    this.closeConnection();
    const epoch = ++this.epoch;
    const { access } = this.opts;
    const zj = new ZongJi({
      host: access.host,
      port: access.port,
      user: access.user,
      password: access.password ?? undefined,
      connectTimeout: access.connectTimeoutMs,
      timezone: 'Z',
      dateStrings: true,
    });
    this.zj = zj;
    const current = () => epoch === this.epoch;
    zj.on('binlog', (event) => {
      if (!current()) return;
      this.lastActivity = this.clock();
      if (event.getEventName() === 'heartbeat') return;
      // The event's own start: its end less its length (header, body, checksum).
      const position = event.nextPosition > 0 ? event.nextPosition - event.size - (zj.useChecksum ? 23 : 19) : 0;
      this.push({ kind: 'event', event, position });
    });
    zj.on('ready', () => {
      if (!current()) return;
      this.isMariaDb = zj.isMariaDb;
      this.lastActivity = this.clock();
    });
    zj.on('error', (err: MysqlError) => {
      if (!current()) return;
      const transient = isTransientMysqlError(err);
      this.opts.logger.warn(transient ? 'binlog connection lost' : 'binlog connection failed', { code: err.code, errno: err.errno, error: err.message });
      this.closeConnection();
      this.push({ kind: transient ? 'lost' : 'failed', error: err });
    });
    const where = 'gtids' in from ? { gtidSet: from.gtids } : { filename: from.file, position: from.pos };
    zj.start({ serverId: this.opts.serverId, includeEvents: INCLUDED_EVENTS, ...where });
    const connection = zj.connection as (Connection & { pause(): void; resume(): void }) | null;
    if (connection) {
      // The first command on the binlog connection, ahead of zongji's own: heartbeats in nanoseconds.
      connection.query(`SET @master_heartbeat_period = ${this.heartbeatPeriodMs * 1_000_000}`, () => undefined);
      this.trackPauses(connection);
    }
    this.lastActivity = this.clock();
    this.silenceTimer = setInterval(() => this.checkSilence(epoch), Math.min(1_000, Math.max(50, this.silenceTimeoutMs / 4)));
    this.silenceTimer.unref();
  }

  /** Two holds on one socket: ours (backpressure) and zongji's (column fetch). */
  private trackPauses(connection: { pause(): void; resume(): void }): void {
    const pause = connection.pause.bind(connection);
    const resume = connection.resume.bind(connection);
    this.ourHold = false;
    this.zongjiHold = false;
    const apply = () => (this.ourHold || this.zongjiHold ? pause() : resume());
    connection.pause = () => {
      this.zongjiHold = true;
      apply();
    };
    connection.resume = () => {
      this.zongjiHold = false;
      apply();
    };
    this.socket = {
      pause: () => {
        this.ourHold = true;
        apply();
      },
      resume: () => {
        this.ourHold = false;
        apply();
      },
    };
  }

  private checkSilence(epoch: number): void {
    if (epoch !== this.epoch || !this.zj) return;
    // While paused by us nothing can arrive: that is not silence.
    if (this.ourHold) {
      this.lastActivity = this.clock();
      return;
    }
    const quiet = this.clock() - this.lastActivity;
    if (quiet < this.silenceTimeoutMs) return;
    this.opts.logger.warn('binlog connection silent; reconnecting', { quietMs: quiet });
    this.closeConnection();
    this.push({ kind: 'lost', error: new Error(`No binlog event nor heartbeat for ${quiet} ms`) });
  }

  private push(item: BinlogItem): void {
    this.items.push(item);
    if (this.items.length - this.head >= this.highWater && this.socket && !this.ourHold) this.socket.pause();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  get buffered(): number {
    return this.items.length - this.head;
  }

  /** Up to `max` buffered items, oldest first. */
  take(max: number): BinlogItem[] {
    const end = Math.min(this.items.length, this.head + max);
    const out = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 65_536) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.ourHold && this.buffered <= this.lowWater) this.socket?.resume();
    return out;
  }

  /** Resolves when an item is buffered, after `ms`, or when `signal` aborts. */
  waitForItems(ms: number, signal: AbortSignal): Promise<void> {
    if (this.buffered > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private closeConnection(): void {
    if (this.silenceTimer) clearInterval(this.silenceTimer);
    this.silenceTimer = undefined;
    const zj = this.zj;
    this.zj = undefined;
    this.socket = undefined;
    this.epoch++;
    if (!zj) return;
    try {
      zj.stop();
    } catch (err) {
      this.opts.logger.debug('zongji stop failed', { error: (err as Error).message });
    }
  }

  /** Closes the connection and drops whatever is buffered. */
  stop(): void {
    this.closeConnection();
    this.items = [];
    this.head = 0;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Server errors about the user's rights, as a ConnectError naming the privilege and the GRANT to run; undefined for any other error. */
export function accessProblem(err: MysqlError, cfg: { readonly user: string }): ConnectError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const message = err.sqlMessage ?? err.message;
  if (err.errno === 1045 || err.errno === 1698) {
    return new ConnectError(`The server refused database.user '${cfg.user}': ${message}. Check database.user and database.password.`, { code: 'CONFIG_INVALID', cause: err });
  }
  if (err.errno === 1227 || err.errno === 1044 || err.errno === 1142 || err.errno === 1370) {
    return new ConnectError(
      `database.user '${cfg.user}' lacks a privilege change data capture needs: ${message}. ` +
        `It needs SELECT, REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: BINLOG MONITOR): GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${cfg.user}'@'%';`,
      { code: 'CONFIG_INVALID', cause: err },
    );
  }
  return undefined;
}

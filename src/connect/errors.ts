// The one error base of the project. Every failure Slipway raises on purpose is
// a ConnectError with a stable machine-readable `code`; one table below maps a
// code to its HTTP status and its retriability, and `isRetriable` is the one
// place that decides retry vs fail (also for errors thrown by kafkajs, the AWS
// SDK and Node's sockets, which carry their own hints).

/** code → HTTP status and whether the operation may succeed if simply tried again. */
const CODES = {
  BAD_REQUEST: { status: 400, retriable: false },
  CONFIG_INVALID: { status: 400, retriable: false },
  DATA_INVALID: { status: 400, retriable: false },
  NOT_FOUND: { status: 404, retriable: false },
  CONFLICT: { status: 409, retriable: false },
  FENCED: { status: 409, retriable: false },
  RETRIABLE: { status: 503, retriable: true },
  INTERNAL: { status: 500, retriable: false },
} as const satisfies Record<string, { status: number; retriable: boolean }>;

export type ErrorCode = keyof typeof CODES;

export interface ConnectErrorOptions {
  code?: ErrorCode;
  retriable?: boolean;
  cause?: unknown;
}

export class ConnectError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  override readonly cause?: unknown;

  constructor(message: string, opts: ConnectErrorOptions = {}) {
    super(message);
    this.name = 'ConnectError';
    this.code = opts.code ?? 'INTERNAL';
    this.retriable = opts.retriable ?? CODES[this.code].retriable;
    if (opts.cause !== undefined) this.cause = opts.cause;
  }
}

/** A malformed request that is not about a config field (bad JSON body, bad path parameter). */
export class BadRequestError extends ConnectError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'BAD_REQUEST', ...opts });
    this.name = 'BadRequestError';
  }
}

/** One problem with one configuration field. `message` already names the field. */
export interface ConfigIssue {
  field: string;
  message: string;
}

/** Invalid configuration: every bad field at once, each with its message. */
export class ConfigError extends ConnectError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue | readonly ConfigIssue[], opts: { cause?: unknown } = {}) {
    const list = Array.isArray(issues) ? (issues as readonly ConfigIssue[]) : [issues as ConfigIssue];
    super(summarize(list), { code: 'CONFIG_INVALID', ...opts });
    this.name = 'ConfigError';
    this.issues = list;
  }

  /** The names of the bad fields, in order, without repeats. */
  get fields(): string[] {
    return [...new Set(this.issues.map((i) => i.field))];
  }

  /** Field name → its messages. */
  get messages(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const i of this.issues) (out[i.field] ??= []).push(i.message);
    return out;
  }

  /**
   * The same issues with `prefix` put before every field name, for configs that
   * were passed down without it (a converter sees `schemas.enable`; the user
   * wrote `value.converter.schemas.enable`).
   */
  withPrefix(prefix: string): ConfigError {
    return new ConfigError(
      this.issues.map((i) => ({
        field: prefix + i.field,
        message: i.message.replace(`configuration ${i.field}`, `configuration ${prefix}${i.field}`).replace(`configuration "${i.field}"`, `configuration "${prefix}${i.field}"`),
      })),
      { cause: this.cause },
    );
  }
}

function summarize(issues: readonly ConfigIssue[]): string {
  if (issues.length === 0) return 'Invalid configuration';
  if (issues.length === 1) return issues[0]!.message;
  return `Invalid configuration, ${issues.length} errors:\n` + issues.map((i) => `- ${i.message}`).join('\n');
}

export class NotFoundError extends ConnectError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'NOT_FOUND', ...opts });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends ConnectError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'CONFLICT', ...opts });
    this.name = 'ConflictError';
  }
}

/**
 * The invocation lost its lease: a newer epoch owns the task. Never retried;
 * the holder must stop at once and write nothing more.
 */
export class FencedError extends ConnectError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'FENCED', ...opts });
    this.name = 'FencedError';
  }
}

/** A transient failure (broker or store unavailable, throttled, timed out). */
export class RetriableError extends ConnectError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'RETRIABLE', ...opts });
    this.name = 'RetriableError';
  }
}

/** Converting, validating or serializing one record failed. `path` names the field (e.g. `after.price`). */
export class DataError extends ConnectError {
  readonly path?: string;

  constructor(message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, { code: 'DATA_INVALID', cause: opts.cause });
    this.name = 'DataError';
    if (opts.path !== undefined) this.path = opts.path;
  }
}

/** The HTTP status for any thrown value: a ConnectError's code decides; anything else is a 500. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof ConnectError) return CODES[err.code]?.status ?? 500;
  return 500;
}

/** Kafka Connect's REST error body: `{"error_code": <status>, "message": "..."}`. */
export function errorResponse(err: unknown): { status: number; body: { error_code: number; message: string } } {
  const status = httpStatusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return { status, body: { error_code: status, message } };
}

// Node socket errors that mean "the other side is (for now) unreachable".
const TRANSIENT_SYSTEM_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * Whether an operation that threw `err` may succeed if tried again.
 * ConnectError: its own flag. kafkajs errors carry `retriable`, AWS SDK v3
 * errors `$retryable`; Node socket errors are transient. Anything else: no.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof ConnectError) return err.retriable;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { retriable?: unknown; $retryable?: unknown; code?: unknown };
  if (typeof e.retriable === 'boolean') return e.retriable;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  return typeof e.code === 'string' && TRANSIENT_SYSTEM_CODES.has(e.code);
}

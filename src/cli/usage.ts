// What every subcommand shares: the usage error (exit code 2, like most Unix
// tools) and flag parsing helpers, so a mistyped flag or a bad value is
// reported the same way by every command.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isLogLevel, type LogLevel } from '../logging.js';

/** A mistake in how the command was called: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The usage text of the command that was being parsed, if known. */
    readonly usage?: string,
  ) {
    super(message);
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A subcommand: `slipway <name> …`. */
export interface Command {
  readonly name: string;
  /** One line for `slipway --help`. */
  readonly summary: string;
  /** The full text for `slipway <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/**
 * Runs a node:util parseArgs call (strict: unknown flags and stray
 * positionals throw), turning its errors into usage errors.
 */
export function parseStrict<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
}

/**
 * The flags and positionals of a command (strict: an unknown flag, and a
 * positional where none is allowed, is a usage error); undefined when --help
 * was asked for, after printing the usage.
 */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig['options']> & { help: { type: 'boolean' } }>(
  usage: string,
  argv: string[],
  options: O,
  { allowPositionals = true }: { allowPositionals?: boolean } = {},
) {
  const parsed = parseStrict(usage, () => parseArgs({ args: argv, options, strict: true, allowPositionals }));
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(usage);
    return undefined;
  }
  return parsed;
}

/** An integer flag value within [min, max]. */
export function intOption(flag: string, raw: string | undefined, fallback: number, min: number, max: number, usage: string): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${flag} must be an integer, got "${raw}"`, usage);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${n}`, usage);
  return n;
}

/** A --log-level value. */
export function logLevelOption(raw: string | undefined, fallback: LogLevel, usage: string): LogLevel {
  if (raw === undefined) return fallback;
  if (!isLogLevel(raw)) throw new UsageError(`--log-level must be one of debug, info, warn, error, silent; got "${raw}"`, usage);
  return raw;
}

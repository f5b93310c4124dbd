// `slipway demo` (what `npm start` runs): the Debezium tutorial end to end on
// this machine, with no Docker, Kubernetes or JVM.
//
//   1. a private MariaDB (src/local/mariadb.ts) with the tutorial's `inventory`
//      database (examples/inventory.sql) and a CDC user;
//   2. the `slipway dev` stack (src/local/dev.ts): embedded broker, DynamoDB,
//      Lambda emulator, coordinator schedule, REST API;
//   3. examples/inventory-connector.yaml, a Strimzi KafkaConnector for
//      io.debezium.connector.mariadb.MariaDbConnector, applied through the REST
//      API after the parsing `slipway apply` uses (src/cli/config-forms.ts);
//   4. the change events of the data topics (`<topic.prefix>.<db>.<table>`)
//      shown one line each, `table  op  key  fields`, until Ctrl-C, and once
//      the snapshot is shown, one line with the exact `mariadb` command that
//      changes a row.
//
// Decisions:
// - Everything the demo keeps lives under one data dir, `.slipway/demo` by
//   default (relative to the directory it runs in), apart from `slipway dev`'s
//   `.slipway`, so the two never share a broker or a state table:
//     mariadb/                          the private server (mariadb.ts's layout)
//     mariadb/inventory.loaded          written once inventory.sql loaded completely
//     inventory-credentials.properties  the CDC user's name and password (mode 0600)
//     broker/, dynamodb/                the dev stack's state
//     demo.lock                         the pid of the demo running on this dir
//   A second run reuses all of it: the server keeps its data (the inventory is
//   loaded only on the first run, or again if that load never finished), the
//   connector resumes from its stored offsets (no second snapshot), and the
//   display reads the topics from the beginning, so it shows the whole history.
// - The MariaDB port is fixed, because the connector file names it: by default
//   the file's database.port (3307, beside a system server's 3306). A taken
//   port is an error that says which flag picks another. When a flag
//   (--mariadb-port, --broker-port) differs from the file, the demo fits the
//   applied config to it and prints each change; the stored config then says
//   what the connector really uses.
// - The credentials are in a properties file read through `${file:…}`, as a
//   Strimzi user reads a mounted Secret: the password (random, made on the first
//   run) is then never in the connector file, the REST API, the state table or
//   this output. The placeholders are resolved only inside the invocation that
//   connects (src/connect/config/providers.ts), relative to the directory the
//   demo runs in. With another --data-dir the demo points them at that dir's
//   file. The line that tells how to change a row uses root over the server's
//   socket: root has no password on the private server, which listens on
//   127.0.0.1 only.
// - The dev stack runs in this process (startDev), not as a spawned
//   `slipway dev`: one process to stop on Ctrl-C and one close path that also
//   ends the function processes, the broker's address and the API URL without
//   parsing log lines, and no second tsx start-up on a small machine. MariaDB
//   is started first, so a connector that resumes from an earlier run finds it
//   up.
// - The display is a kafkajs consumer without commits in a group of its own,
//   reading from the beginning. A subscription is fixed when the consumer joins,
//   so a topic list that grew (and then stayed the same for one check) makes a
//   new consumer; offsets already shown are skipped. Tombstones and anything
//   that is not a change event are not shown; values are shown decoded from
//   their Connect schema (dates, times, decimals), never as JSON envelopes.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { applyOne } from '../cli/apply.js';
import { readConfigFile, type ConnectorDefinition } from '../cli/config-forms.js';
import { RestClient, ServerError, connectorPath } from '../cli/rest.js';
import { parseProperties } from '../connect/config/providers.js';
import { createKafka } from '../kafka/client.js';
import type { LogLevel, Logger } from '../logging.js';
import { startDev, type DevStack } from './dev.js';
import { MariaDbError, findMariaDbBinaries, startMariaDb, type MariaDb } from './mariadb.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_CONNECTOR_FILE = path.join(REPO_ROOT, 'examples', 'inventory-connector.yaml');
export const INVENTORY_SQL = path.join(REPO_ROOT, 'examples', 'inventory.sql');
/** When the connector file names no literal database.port. */
const DEFAULT_MARIADB_PORT = 3307;
export const CREDENTIALS_FILE_NAME = 'inventory-credentials.properties';
const CDC_USER = 'debezium';
/** The Debezium tutorial's own example change. */
const EXAMPLE_UPDATE = "UPDATE customers SET first_name='Anne Marie' WHERE id=1004";

/** A demo that cannot start: shown as one line, exit code 1. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

export interface DemoOptions {
  /** Where everything lives (see the top of this file). */
  dataDir: string;
  /** The KafkaConnector to apply; default examples/inventory-connector.yaml. */
  connectorFile?: string;
  /** Port of the private MariaDB; default the connector file's database.port (3307); 0 picks a free one. */
  mariadbPort?: number;
  /** REST API port; 0 picks a free one. */
  apiPort: number;
  /** Embedded broker port; 0 picks a free one. */
  brokerPort: number;
  logger: Logger;
  /** SLIPWAY_LOG_LEVEL of the worker and coordinator functions. */
  functionLogLevel?: LogLevel;
  /** Where the demo's lines go (default stdout); logs go to the logger. */
  out?: (line: string) => void;
  /** Aborting it during the start closes what was started and rejects with a DemoError. */
  signal?: AbortSignal;
}

export interface Demo {
  readonly apiUrl: string;
  readonly bootstrap: string;
  readonly mariadb: MariaDb;
  readonly connector: string;
  /** The shell command that changes a row, as the hint line shows it. */
  readonly changeCommand: string;
  /** Stops the display, the dev stack (and its function processes) and MariaDB. Idempotent. */
  close(): Promise<void>;
}

/** A path as the user would type it here: relative when under the working directory. */
function shown(file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function startDemo(opts: DemoOptions): Promise<Demo> {
  return new DemoRun(opts).start();
}

class DemoRun {
  readonly #opts: DemoOptions;
  readonly #out: (line: string) => void;
  readonly #dir: string;
  readonly #closers: Array<() => Promise<void>> = [];
  #closing: Promise<void> | undefined;

  constructor(opts: DemoOptions) {
    this.#opts = opts;
    this.#out = opts.out ?? ((line) => void process.stdout.write(`${line}\n`));
    this.#dir = path.resolve(opts.dataDir);
  }

  #checkAborted(): void {
    if (this.#opts.signal?.aborted) throw new DemoError('stopped while starting');
  }

  async start(): Promise<Demo> {
    try {
      return await this.#start();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async #start(): Promise<Demo> {
    const { logger } = this.#opts;
    const file = this.#opts.connectorFile ?? DEMO_CONNECTOR_FILE;
    const connector = await readConnector(file);
    const prefix = connector.config['topic.prefix'] ?? connector.config['database.server.name'];
    if (prefix === undefined) throw new DemoError(`${shown(file)}: the connector has no topic.prefix, so the demo cannot tell its topics`);
    const mariadbPort = this.#opts.mariadbPort ?? filePort(connector) ?? DEFAULT_MARIADB_PORT;
    // Fail before anything starts when a port is taken.
    await assertPortFree(this.#opts.apiPort, 'the REST API', '--port', 'another demo or `slipway dev`');
    await assertPortFree(this.#opts.brokerPort, 'Kafka', '--broker-port', 'another demo, `slipway dev` or a Kafka broker');
    await assertPortFree(mariadbPort, 'MariaDB', '--mariadb-port', 'another demo or a MariaDB/MySQL server');
    fs.mkdirSync(this.#dir, { recursive: true });
    this.#lock();

    const credentialsFile = path.join(this.#dir, CREDENTIALS_FILE_NAME);
    const credentials = ensureCredentials(credentialsFile);
    const mariadb = await this.#startMariaDb(mariadbPort, credentials);
    this.#checkAborted();

    let stack: DevStack;
    try {
      stack = await startDev({
        dataDir: this.#dir,
        port: this.#opts.apiPort,
        brokerPort: this.#opts.brokerPort,
        logger,
        functionEnv: {
          SLIPWAY_LOG_LEVEL: this.#opts.functionLogLevel ?? logger.level,
          // A task notices a pause at its next lease renewal: Ctrl-C pauses the connector (see
          // pauseForShutdown). A terminal's Ctrl-C also reaches the function processes when the
          // demo shares the terminal's process group (`npm start` keeps them apart): then a
          // short flush interval keeps what the next run repeats short.
          SLIPWAY_LEASE_RENEW_MS: process.env.SLIPWAY_LEASE_RENEW_MS ?? '1000',
          SLIPWAY_OFFSET_FLUSH_INTERVAL_MS: process.env.SLIPWAY_OFFSET_FLUSH_INTERVAL_MS ?? '1000',
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new DemoError(`a port of the dev stack is taken (${(err as Error).message}); --port and --broker-port pick others`);
      throw err;
    }
    this.#closers.push(() => stack.close());
    this.#out(`Slipway    REST API ${stack.apiUrl}  Kafka ${stack.bootstrap}  state in ${shown(this.#dir)}`);
    this.#checkAborted();

    const fitted = fitConnectorConfig(connector.config, { host: mariadb.host, port: mariadb.port, bootstrap: stack.bootstrap, credentialsFile: shown(credentialsFile) });
    const outcome = await applyConnector(new RestClient(stack.apiUrl), { ...connector, config: fitted.config }, file);
    this.#out(`connector  ${connector.name} ${outcome} from ${shown(file)}${fitted.changes.length ? ` (fitted to this run: ${fitted.changes.join(', ')})` : ''}`);
    this.#closers.push(() => pauseForShutdown(stack, connector.name, logger));
    this.#checkAborted();

    const changeCommand = changeRowCommand(mariadb.socket);
    const historyTopic = fitted.config['schema.history.internal.kafka.topic'] ?? fitted.config['database.history.kafka.topic'];
    this.#out('Change events until Ctrl-C: table  op  key  fields (op r = snapshot read, c = insert, u = update, d = delete)');
    const kafka = createKafka({ brokers: [stack.bootstrap], clientId: 'slipway-demo', logger: logger.child({ component: 'demo' }) });
    const feed = new ChangeFeed(kafka, prefix, historyTopic, this.#out, logger, () => this.#out(`To change a row, run in another terminal:  ${changeCommand}`));
    this.#closers.push(() => feed.stop());
    await feed.start();
    const watcher = new StatusWatcher(new RestClient(stack.apiUrl), connector.name, this.#out, logger);
    this.#closers.push(() => watcher.stop());
    watcher.start();

    return {
      apiUrl: stack.apiUrl,
      bootstrap: stack.bootstrap,
      mariadb,
      connector: connector.name,
      changeCommand,
      close: () => this.close(),
    };
  }

  /** One demo per data dir: a second one would shut the first one's MariaDB down. */
  #lock(): void {
    const lock = path.join(this.#dir, 'demo.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
        const pid = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
        if (Number.isInteger(pid) && pid !== process.pid && isNodeProcess(pid)) {
          throw new DemoError(`a demo (pid ${pid}) already runs on ${shown(this.#dir)}; stop it first, or give this one another --data-dir`);
        }
        fs.rmSync(lock, { force: true });
      }
    }
    this.#closers.push(async () => {
      fs.rmSync(lock, { force: true });
    });
  }

  async #startMariaDb(port: number, credentials: { user: string; password: string }): Promise<MariaDb> {
    const dir = path.join(this.#dir, 'mariadb');
    const { logger } = this.#opts;
    let mariadb: MariaDb;
    try {
      mariadb = await startMariaDb({ dir, port, logger: logger.child({ component: 'mariadb' }) });
    } catch (err) {
      if (err instanceof MariaDbError && /address already in use|bind on tcp\/ip port/i.test(err.message)) {
        throw new DemoError(`MariaDB cannot listen on port ${port}: it is taken; --mariadb-port picks another (the connector config is fitted to it)`);
      }
      if (err instanceof MariaDbError) throw new DemoError(err.message);
      throw err;
    }
    this.#closers.push(() => mariadb.stop());
    const loaded = path.join(dir, 'inventory.loaded');
    let what = 'inventory from an earlier run';
    if (!fs.existsSync(loaded)) {
      // A load that never finished left a partial database: start it over.
      await mariadb.query('DROP DATABASE IF EXISTS inventory');
      await mariadb.loadSqlFile(INVENTORY_SQL);
      fs.writeFileSync(loaded, `${new Date().toISOString()}\n`);
      what = `inventory loaded from ${shown(INVENTORY_SQL)}`;
    }
    await mariadb.createCdcUser(credentials.user, credentials.password);
    this.#out(`MariaDB    ${mariadb.host}:${mariadb.port}  data in ${shown(dir)} (${what}; CDC user ${credentials.user}, password in ${shown(path.join(this.#dir, CREDENTIALS_FILE_NAME))})`);
    return mariadb;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const close of this.#closers.reverse()) {
        try {
          await close();
        } catch (err) {
          this.#opts.logger.error('demo shutdown step failed', { err });
        }
      }
    })();
    return this.#closing;
  }
}

/** Whether `pid` runs node (a lock's pid may have been reused by something else since). */
function isNodeProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    // No /proc: alive is all we can tell.
    return true;
  }
}

async function readConnector(file: string): Promise<ConnectorDefinition> {
  let parsed;
  try {
    parsed = await readConfigFile(file);
  } catch (err) {
    throw new DemoError((err as Error).message);
  }
  if (parsed.connectors.length !== 1) throw new DemoError(`${shown(file)}: the demo runs one connector; this file has ${parsed.connectors.length}`);
  return parsed.connectors[0]!;
}

function filePort(connector: ConnectorDefinition): number | undefined {
  const raw = connector.config['database.port'];
  return raw !== undefined && /^\d+$/.test(raw) && Number(raw) <= 65535 ? Number(raw) : undefined;
}

/** Resolves when nothing listens on 127.0.0.1:port (0 always is); a DemoError naming the flag otherwise. */
async function assertPortFree(port: number, what: string, flag: string, likely: string): Promise<void> {
  if (port === 0) return;
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new DemoError(`port ${port} (${what}) is taken (by ${likely}?); ${flag} picks another`);
    throw new DemoError(`cannot listen on port ${port} (${what}): ${code ?? (err as Error).message}; ${flag} picks another`);
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * The CDC user's credentials from `file`, made (a random password, mode 0600)
 * when the file does not exist yet.
 */
export function ensureCredentials(file: string): { user: string; password: string } {
  if (fs.existsSync(file)) {
    const props = parseProperties(fs.readFileSync(file, 'utf8'));
    const user = props.get('user');
    const password = props.get('password');
    if (!user || password === undefined) throw new DemoError(`${shown(file)} needs user= and password= lines; delete it and the demo writes a new one`);
    return { user, password };
  }
  const password = randomBytes(18).toString('base64url');
  const text = [
    '# The CDC user of the demo\'s private MariaDB, written by `slipway demo` on its first run.',
    '# examples/inventory-connector.yaml reads it with ${file:<this file>:user} and ${file:<this file>:password};',
    '# the demo (re)creates the user with these values at every start.',
    `user=${CDC_USER}`,
    `password=${password}`,
    '',
  ].join('\n');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o600 });
  return { user: CDC_USER, password };
}

export interface FitTarget {
  host: string;
  port: number;
  bootstrap: string;
  /** The credentials file as the placeholders should name it. */
  credentialsFile: string;
  cwd?: string;
}

const HISTORY_BOOTSTRAP_KEYS = ['schema.history.internal.kafka.bootstrap.servers', 'database.history.kafka.bootstrap.servers'];
const FILE_PLACEHOLDER = /\$\{file:([^}:]*):([^}]*)\}/g;

/**
 * The connector config pointed at this run's MariaDB, Kafka and credentials
 * file, with one note per change (names and ports only: no value that could
 * be a secret).
 */
export function fitConnectorConfig(config: Readonly<Record<string, string>>, target: FitTarget): { config: Record<string, string>; changes: string[] } {
  const out = { ...config };
  const changes: string[] = [];
  const set = (key: string, value: string) => {
    if (out[key] === value) return;
    changes.push(`${key} ${out[key] ?? '(unset)'} → ${value}`);
    out[key] = value;
  };
  set('database.hostname', target.host);
  set('database.port', String(target.port));
  for (const key of HISTORY_BOOTSTRAP_KEYS) if (out[key] !== undefined) set(key, target.bootstrap);
  const cwd = target.cwd ?? process.cwd();
  const want = path.resolve(cwd, target.credentialsFile);
  const moved = new Set<string>();
  for (const key of ['database.user', 'database.password']) {
    const value = out[key];
    if (value === undefined) continue;
    out[key] = value.replace(FILE_PLACEHOLDER, (text, file: string, prop: string) => {
      if (path.resolve(cwd, file) === want) return text;
      moved.add(file);
      return `\${file:${target.credentialsFile}:${prop}}`;
    });
  }
  for (const file of moved) changes.push(`credentials file ${file} → ${target.credentialsFile}`);
  return { config: out, changes };
}

/** What `slipway apply` does with one connector; says what happened, with a hint when it is not running. */
async function applyConnector(client: RestClient, connector: ConnectorDefinition, file: string): Promise<string> {
  try {
    const done = await applyOne(client, connector);
    const state = connector.initialState;
    return state === undefined || state === 'RUNNING' ? done : `${done}: no change events until \`slipway resume ${connector.name}\``;
  } catch (err) {
    if (err instanceof ServerError) throw new DemoError(`${shown(file)}: the REST API refused ${connector.name}: ${err.message}`);
    throw err;
  }
}

/**
 * Pauses the connector and waits until its task has stopped, before the stack
 * closes. The Lambda emulator's close kills the function processes, so a task
 * still running would lose the offsets of its last flush interval (the next
 * run would repeat them: the whole snapshot when it was that recent) and keep
 * its lease until the TTL, delaying the next run's task. Paused, the task
 * stores its offsets and releases its lease; the next run's apply resumes it.
 */
async function pauseForShutdown(stack: DevStack, name: string, logger: Logger): Promise<void> {
  const client = new RestClient(stack.apiUrl);
  try {
    await client.request('PUT', connectorPath(name, '/pause'));
  } catch (err) {
    logger.warn('could not pause the connector before stopping', { err });
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { body } = await client.request('GET', connectorPath(name, '/status'));
    const running = ((body as ConnectorStatus).tasks ?? []).some((t) => t.state === 'RUNNING');
    if (!running && !stack.emulator.environments().some((e) => e.busy)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  logger.warn('the connector did not pause in time; the next run repeats what its task read since its last offset flush', { connector: name });
}

/** A word or path as a POSIX shell reads it. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that changes a row: root over the socket (no password on the private server). */
export function changeRowCommand(socket: string): string {
  let client = 'mariadb';
  try {
    const found = findMariaDbBinaries().client;
    const onPath = (process.env.PATH ?? '').split(path.delimiter).includes(path.dirname(found));
    client = onPath ? path.basename(found) : found;
  } catch {
    // Not installed: the server would not be running either.
  }
  return `${shellWord(client)} --socket=${shellWord(socket)} -u root inventory -e "${EXAMPLE_UPDATE}"`;
}

// ---- the display ----------------------------------------------------------------

/** A Connect schema as JsonConverter writes it. */
interface FieldSchema {
  type?: string;
  name?: string;
  field?: string;
  parameters?: Record<string, string>;
  fields?: FieldSchema[];
}

interface Envelope {
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  source?: { db?: string; table?: string; snapshot?: string } | null;
  op?: string;
}

/** The payload and schema of a JsonConverter message, with or without schemas.enable. */
function unwrap(json: unknown): { payload: unknown; schema?: FieldSchema } {
  if (json && typeof json === 'object' && 'payload' in json && 'schema' in json) {
    const { payload, schema } = json as { payload: unknown; schema: unknown };
    return { payload, schema: schema && typeof schema === 'object' ? (schema as FieldSchema) : undefined };
  }
  return { payload: json };
}

function parseJson(bytes: Buffer | string | null | undefined): unknown {
  if (bytes === null || bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString());
  } catch {
    return undefined;
  }
}

function columnSchemas(schema: FieldSchema | undefined): Map<string, FieldSchema> {
  const map = new Map<string, FieldSchema>();
  for (const f of schema?.fields ?? []) if (f.field !== undefined) map.set(f.field, f);
  return map;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function timeOfDay(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const frac = Math.round(micros % 1_000_000);
  const base = `${pad2(Math.floor(whole / 3600))}:${pad2(Math.floor(whole / 60) % 60)}:${pad2(whole % 60)}`;
  return frac === 0 ? base : `${base}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
}

function dateTime(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const day = Math.floor(ms / 86_400_000);
  const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
  return `${date} ${timeOfDay(micros - day * 86_400_000_000)}`;
}

function decimal(base64: string, scale: number): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return '0';
  let n = BigInt(`0x${bytes.toString('hex')}`);
  if (bytes[0]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The shortest decimal that reads back as the same 32-bit float (FLOAT columns: 0.8 rather than 0.800000011920929). */
function float32(v: number): string {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = String(Number(f.toPrecision(p)));
    if (Math.fround(Number(s)) === f) return s;
  }
  return String(v);
}

const MAX_SHOWN = 80;

/** One column value as the demo shows it: decoded by its schema, quoted only when it must be. */
export function showValue(value: unknown, schema?: FieldSchema): string {
  if (value === null || value === undefined) return 'null';
  const name = schema?.name;
  let text: string | undefined;
  if (typeof value === 'number') {
    switch (name) {
      case 'io.debezium.time.Date':
      case 'org.apache.kafka.connect.data.Date':
        text = new Date(value * 86_400_000).toISOString().slice(0, 10);
        break;
      case 'io.debezium.time.Timestamp':
      case 'org.apache.kafka.connect.data.Timestamp':
        text = dateTime(value * 1000);
        break;
      case 'io.debezium.time.MicroTimestamp':
        text = dateTime(value);
        break;
      case 'io.debezium.time.NanoTimestamp':
        text = dateTime(value / 1000);
        break;
      case 'io.debezium.time.Time':
      case 'org.apache.kafka.connect.data.Time':
        text = timeOfDay(value * 1000);
        break;
      case 'io.debezium.time.MicroTime':
        text = timeOfDay(value);
        break;
      case 'io.debezium.time.NanoTime':
        text = timeOfDay(value / 1000);
        break;
      default:
        text = schema?.type === 'float' ? float32(value) : String(value);
    }
  } else if (typeof value === 'string') {
    if (name === 'org.apache.kafka.connect.data.Decimal') text = decimal(value, Number(schema?.parameters?.scale ?? 0));
    else if (schema?.type === 'bytes') text = `0x${Buffer.from(value, 'base64').toString('hex')}`;
    else return quoted(value);
  } else if (typeof value === 'boolean' || typeof value === 'bigint') {
    text = String(value);
  } else {
    text = JSON.stringify(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function quoted(s: string): string {
  const cut = s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
  return /^[^\s"'=→\\]+$/.test(cut) ? cut : JSON.stringify(cut);
}

export interface ShownChange {
  /** `db.table` */
  table: string;
  op: string;
  line: string;
  /** source.snapshot: 'last' on the snapshot's very last record. */
  snapshot?: string;
}

/**
 * One change event as one readable line: `db.table  op  key  fields`. Fields:
 * every column but the key's for r, c and d (d: the row as it was); only the
 * changed ones for u, `column: before → after`. Undefined for a tombstone or a
 * message that is not a change event.
 */
export function formatChange(topic: string, key: Buffer | string | null | undefined, value: Buffer | string | null | undefined, tableWidth = 0): ShownChange | undefined {
  const v = unwrap(parseJson(value));
  const env = v.payload as Envelope | undefined;
  if (!env || typeof env !== 'object' || typeof env.op !== 'string') return undefined;
  const envFields = columnSchemas(v.schema);
  const columns = columnSchemas(envFields.get('after') ?? envFields.get('before'));
  const k = unwrap(parseJson(key));
  const keyColumns = columnSchemas(k.schema);
  const keyRow = k.payload && typeof k.payload === 'object' ? (k.payload as Record<string, unknown>) : {};
  const keyText = Object.entries(keyRow)
    .map(([c, val]) => `${c}=${showValue(val, keyColumns.get(c) ?? columns.get(c))}`)
    .join(' ');
  const table = env.source?.db && env.source.table ? `${env.source.db}.${env.source.table}` : topic.split('.').slice(-2).join('.');
  const row = (r: Record<string, unknown> | null | undefined) =>
    Object.entries(r ?? {})
      .filter(([c]) => !(c in keyRow))
      .map(([c, val]) => `${c}=${showValue(val, columns.get(c))}`);
  let fields: string[];
  switch (env.op) {
    case 'r':
    case 'c':
      fields = row(env.after);
      break;
    case 'd':
      fields = row(env.before);
      break;
    case 'u': {
      const before = env.before ?? {};
      fields = Object.entries(env.after ?? {})
        .map(([c, val]) => [c, showValue(before[c], columns.get(c)), showValue(val, columns.get(c))] as const)
        .filter(([, b, a]) => b !== a)
        .map(([c, b, a]) => `${c}: ${b} → ${a}`);
      if (fields.length === 0) fields = ['(no column changed)'];
      break;
    }
    case 't':
      fields = ['(table truncated)'];
      break;
    default:
      fields = [];
  }
  const line = [table.padEnd(tableWidth), env.op, ...(keyText ? [keyText] : []), ...fields].join('  ');
  return { table, op: env.op, line, snapshot: env.source?.snapshot };
}

/**
 * Shows the change events of every data topic of a connector (`prefix.db.table`),
 * following new topics as they appear, until stop().
 */
class ChangeFeed {
  readonly #kafka: Kafka;
  readonly #isDataTopic: (topic: string) => boolean;
  readonly #out: (line: string) => void;
  readonly #logger: Logger;
  readonly #onQuiet: () => void;
  #admin: Admin | undefined;
  #consumer: Consumer | undefined;
  #consumers = 0;
  #subscribed = '';
  #candidate = '';
  #tableWidth = 0;
  /** Next offset to show, by topic:partition: a new consumer starts from the beginning again. */
  readonly #next = new Map<string, bigint>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #stopped = false;
  /** The hint waits for the output to pause: briefly after the snapshot's last record, else longer. */
  #hintShown = false;
  #sawLast = false;
  #quietTimer: NodeJS.Timeout | undefined;

  constructor(kafka: Kafka, prefix: string, historyTopic: string | undefined, out: (line: string) => void, logger: Logger, onQuiet: () => void) {
    this.#kafka = kafka;
    const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[^.]+\\.[^.]+$`);
    this.#isDataTopic = (t) => pattern.test(t) && t !== historyTopic;
    this.#out = out;
    this.#logger = logger;
    this.#onQuiet = onQuiet;
  }

  async start(): Promise<void> {
    this.#admin = this.#kafka.admin();
    await this.#admin.connect();
    // No topic yet (a connector that fails, a file without a snapshot): the hint comes anyway.
    this.#armQuiet(15_000);
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#check()
        .catch((err: unknown) => this.#logger.warn('demo display: checking topics failed', { err }))
        .finally(() => this.#schedule(1000));
    }, ms);
  }

  /** A topic list that changed and then stayed the same for one check gets a new consumer. */
  async #check(): Promise<void> {
    const topics = (await this.#admin!.listTopics()).filter(this.#isDataTopic).sort();
    const key = topics.join(',');
    if (key === this.#subscribed || topics.length === 0) {
      this.#candidate = key;
      return;
    }
    if (key !== this.#candidate) {
      this.#candidate = key;
      return;
    }
    await this.#subscribe(topics);
    this.#subscribed = key;
  }

  async #subscribe(topics: string[]): Promise<void> {
    if (this.#stopped) return;
    await this.#consumer?.disconnect();
    this.#tableWidth = Math.max(this.#tableWidth, ...topics.map((t) => t.split('.').slice(-2).join('.').length));
    // A group of its own each time, never committed: it starts at the beginning and
    // never waits for a member an earlier run left behind.
    const consumer = this.#kafka.consumer({ groupId: `slipway-demo-${process.pid}-${++this.#consumers}`, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const at = `${topic}:${partition}`;
        const offset = BigInt(message.offset);
        if (offset < (this.#next.get(at) ?? 0n)) return;
        this.#next.set(at, offset + 1n);
        const change = formatChange(topic, message.key, message.value, this.#tableWidth);
        if (!change) return;
        this.#out(change.line);
        if (change.snapshot === 'last') this.#sawLast = true;
        this.#armQuiet(this.#sawLast ? 300 : 3000);
      },
    });
    // Joining a new group takes a few seconds (group.initial.rebalance.delay.ms).
    this.#armQuiet(8000);
    this.#logger.debug('demo display subscribed', { topics });
  }

  /** The hint once nothing was shown for `ms`. */
  #armQuiet(ms: number): void {
    if (this.#hintShown || this.#stopped) return;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => {
      if (this.#hintShown || this.#stopped) return;
      this.#hintShown = true;
      this.#onQuiet();
    }, ms);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#quietTimer);
    await this.#tick;
    await this.#consumer?.disconnect().catch(() => undefined);
    await this.#admin?.disconnect().catch(() => undefined);
  }
}

interface ConnectorStatus {
  connector?: { state?: string; trace?: string };
  tasks?: { id: number; state: string; trace?: string }[];
}

/** Says when the connector or a task fails, and when it runs again. */
class StatusWatcher {
  #timer: NodeJS.Timeout | undefined;
  #poll: Promise<void> | undefined;
  #stopped = false;
  readonly #failed = new Set<string>();

  constructor(
    readonly client: RestClient,
    readonly name: string,
    readonly out: (line: string) => void,
    readonly logger: Logger,
  ) {}

  start(): void {
    this.#schedule(1000);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#poll = this.#check()
        .catch((err: unknown) => this.logger.debug('demo status check failed', { err }))
        .finally(() => this.#schedule(2000));
    }, ms);
  }

  async #check(): Promise<void> {
    const { body } = await this.client.request('GET', connectorPath(this.name, '/status'));
    const status = body as ConnectorStatus;
    const units = [
      { id: 'connector', state: status.connector?.state, trace: status.connector?.trace },
      ...(status.tasks ?? []).map((t) => ({ id: `task ${t.id}`, state: t.state, trace: t.trace })),
    ];
    for (const { id, state, trace } of units) {
      if (state === 'FAILED' && !this.#failed.has(id)) {
        this.#failed.add(id);
        const why = (trace ?? '').split('\n')[0]?.trim();
        this.out(`${this.name}: ${id} FAILED${why ? `: ${why}` : ''} (slipway status ${this.name} --url ${this.client.baseUrl} shows more)`);
      } else if (state === 'RUNNING' && this.#failed.delete(id)) {
        this.out(`${this.name}: ${id} RUNNING again`);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#poll;
  }
}

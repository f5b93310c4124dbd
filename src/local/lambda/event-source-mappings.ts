// The event-source-mapping operations of the Lambda API, for self-managed
// Kafka, as @aws-sdk/client-lambda speaks them (restJson1):
//
//   POST   /2015-03-31/event-source-mappings/         CreateEventSourceMapping → 202
//   GET    /2015-03-31/event-source-mappings/         ListEventSourceMappings (?FunctionName, EventSourceArn, Marker, MaxItems) → 200
//   GET    /2015-03-31/event-source-mappings/{UUID}   GetEventSourceMapping → 200
//   PUT    /2015-03-31/event-source-mappings/{UUID}   UpdateEventSourceMapping → 202
//   DELETE /2015-03-31/event-source-mappings/{UUID}   DeleteEventSourceMapping → 202
//
// Bodies are EventSourceMappingConfiguration objects (LastModified in epoch
// seconds). A mapping passes Creating → Enabled | Disabled; Enabling,
// Disabling or Updating → the same; Deleting → gone. Each enabled mapping has
// one KafkaPoller.
//
// Why a JSON file: mappings are Lambda's state, not Slipway's (the coordinator
// reaches them only through the Lambda API, as in AWS), so they live beside
// the emulator in the data dir rather than in Slipway's DynamoDB table, and a
// `slipway dev` restart on the same dir brings every mapping and its poller back.
// The offsets are not in the file: they are the consumer group's, in Kafka.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { Logger } from '../../logging.js';
import type { InvokeResult } from './emulator.js';
import { LambdaApiError } from './errors.js';
import { readBody, sendApiError } from './http.js';
import { KafkaPoller, type PollerConfig } from './kafka-poller.js';

/** What the mappings need of the emulator. */
export interface MappingHost {
  /** The function a FunctionName (name, ARN, with :alias) names: throws ResourceNotFoundException if it or its alias does not exist. */
  resolveFunction(raw: string): { name: string; qualifier?: string; arn: string };
  invoke(functionName: string, payload: Buffer | string, qualifier?: string): Promise<InvokeResult>;
  region: string;
  accountId: string;
}

export interface EventSourceMappingsOptions {
  host: MappingHost;
  logger: Logger;
  /** Where mappings persist; none: in memory only. */
  stateFile?: string;
  /** Backoff between retries of a failed batch (tests shorten it). */
  retryBackoff?: { initialMs: number; maxMs: number };
  clock?: () => number;
  /**
   * The bootstrap of the embedded broker `slipway dev` runs, if it does: a
   * restart may give that broker another port (--broker-port 0), and mappings
   * that named its old address are moved to the new one (same data, same cluster).
   */
  embeddedBootstrap?: string;
}

type State = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

/** A mapping as stored: the API's configuration plus what the poller needs. */
interface Mapping {
  UUID: string;
  FunctionArn: string;
  /** The function's name and qualifier, as resolved at create/update. */
  functionName: string;
  qualifier?: string;
  enabled: boolean;
  State: State;
  StateTransitionReason: string;
  LastModified: number;
  LastProcessingResult: string;
  Topics: [string];
  StartingPosition: 'TRIM_HORIZON' | 'LATEST';
  BatchSize: number;
  MaximumBatchingWindowInSeconds?: number;
  BootstrapServers: string[];
  ConsumerGroupId: string;
  OnFailureDestination?: string;
  MaximumRetryAttempts?: number;
  BisectBatchOnFunctionError?: boolean;
  ProvisionedPollerConfig?: { MinimumPollers?: number; MaximumPollers?: number };
}

const ROUTE = /^\/2015-03-31\/event-source-mappings\/?(?:([^/]+)\/?)?$/;
const MAX_BATCH_SIZE = 10_000;
/** Lambda's default batching window for Kafka when none is set. */
const DEFAULT_KAFKA_WINDOW_MS = 500;
const CONSUMER_GROUP_ID = /^[a-zA-Z0-9-/*:_+=.@-]{1,200}$/;
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const BOOTSTRAP_SERVER = /^[^\s:,]+:\d{1,5}$/;
const BODY_CAP = 256 * 1024;
/** The state file's format: changing it needs a loader for the old one. */
const STATE_FILE_VERSION = 1;

interface StateFile {
  version: number;
  mappings: Mapping[];
  /** The embedded broker's address when the file was written. */
  embeddedBootstrap?: string;
}

export class EventSourceMappings {
  private readonly mappings = new Map<string, Mapping>();
  private readonly pollers = new Map<string, KafkaPoller>();
  /** Per mapping, the transition under way: transitions of one mapping run one after another. */
  private readonly transitions = new Map<string, Promise<void>>();
  private readonly logger: Logger;
  private readonly clock: () => number;
  private closed = false;

  constructor(private readonly opts: EventSourceMappingsOptions) {
    this.logger = opts.logger.child({ component: 'event-source-mappings' });
    this.clock = opts.clock ?? Date.now;
    const { mappings, embeddedBootstrap } = this.load();
    for (const m of mappings) {
      if (opts.embeddedBootstrap && embeddedBootstrap && embeddedBootstrap !== opts.embeddedBootstrap && m.BootstrapServers.join(',') === embeddedBootstrap) {
        this.logger.info('embedded broker moved; mapping follows it', { uuid: m.UUID, from: embeddedBootstrap, to: opts.embeddedBootstrap });
        m.BootstrapServers = [opts.embeddedBootstrap];
      }
      this.mappings.set(m.UUID, m);
      // A transition cut short by the last shutdown is finished now.
      if (m.State === 'Deleting') this.transition(m.UUID, () => this.remove(m.UUID));
      else this.transition(m.UUID, () => this.apply(m.UUID));
    }
  }

  /** Routes the event-source-mapping requests; false for any other. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = ROUTE.exec(url.pathname);
    if (!m) return false;
    const uuid = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    void this.serve(req, res, url, uuid);
    return true;
  }

  /** Stops every poller (mappings stay in the file as they are). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.transitions.values()]);
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
    this.pollers.clear();
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL, uuid: string | undefined): Promise<void> {
    try {
      const method = req.method ?? 'GET';
      if (uuid === undefined && method === 'POST') return sendJson(res, 202, this.view(await this.create(await readJson(req))));
      if (uuid === undefined && method === 'GET') return sendJson(res, 200, this.list(url.searchParams));
      if (uuid !== undefined && method === 'GET') return sendJson(res, 200, this.view(this.get(uuid)));
      if (uuid !== undefined && method === 'PUT') return sendJson(res, 202, this.view(this.update(uuid, await readJson(req))));
      if (uuid !== undefined && method === 'DELETE') return sendJson(res, 202, this.view(this.delete(uuid)));
      throw new LambdaApiError('InvalidRequestContentException', `${method} ${url.pathname} is not an operation of the Lambda API`);
    } catch (err) {
      if (!(err instanceof LambdaApiError)) this.logger.error('event source mapping request failed', { err });
      sendApiError(res, err instanceof LambdaApiError ? err : new LambdaApiError('ServiceException', String(err)));
    }
  }

  // ---- operations ------------------------------------------------------------

  private async create(body: Record<string, unknown>): Promise<Mapping> {
    known(body, [
      'FunctionName', 'EventSourceArn', 'Enabled', 'BatchSize', 'MaximumBatchingWindowInSeconds', 'StartingPosition', 'StartingPositionTimestamp',
      'DestinationConfig', 'MaximumRetryAttempts', 'BisectBatchOnFunctionError', 'Topics', 'SelfManagedEventSource',
      'SelfManagedKafkaEventSourceConfig', 'ProvisionedPollerConfig', 'SourceAccessConfigurations',
    ]);
    if (body.EventSourceArn !== undefined) {
      invalid('EventSourceArn', 'the emulator serves self-managed Kafka only: give SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS instead');
    }
    const fn = this.resolve(body.FunctionName);
    const servers = bootstrapServersOf(body.SelfManagedEventSource);
    const topics = body.Topics;
    if (!Array.isArray(topics) || topics.length !== 1 || typeof topics[0] !== 'string' || !TOPIC.test(topics[0])) {
      invalid('Topics', `must hold exactly one topic name, got ${describe(topics)}`);
    }
    const topic = topics[0] as string;
    const startingPosition = body.StartingPosition;
    if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
      invalid('StartingPosition', `must be TRIM_HORIZON or LATEST for a Kafka event source, got ${describe(startingPosition)}`);
    }
    const uuid = crypto.randomUUID();
    let groupId: string = uuid;
    if (body.SelfManagedKafkaEventSourceConfig !== undefined) {
      const config = objectField(body.SelfManagedKafkaEventSourceConfig, 'SelfManagedKafkaEventSourceConfig');
      if (config.ConsumerGroupId !== undefined) {
        if (typeof config.ConsumerGroupId !== 'string' || !CONSUMER_GROUP_ID.test(config.ConsumerGroupId)) {
          invalid('SelfManagedKafkaEventSourceConfig.ConsumerGroupId', `must be 1-200 of [a-zA-Z0-9-/*:_+=.@-], got ${describe(config.ConsumerGroupId)}`);
        }
        groupId = config.ConsumerGroupId;
      }
    }
    for (const other of this.mappings.values()) {
      if (other.FunctionArn === fn.arn && other.Topics[0] === topic && other.BootstrapServers.join(',') === servers.join(',') && other.State !== 'Deleting') {
        throw new LambdaApiError('ResourceConflictException', `An event source mapping with Kafka topic ${topic} and function ${fn.arn} already exists. Please update or delete the existing mapping with UUID ${other.UUID}`);
      }
    }
    const mapping: Mapping = {
      UUID: uuid,
      FunctionArn: fn.arn,
      functionName: fn.name,
      ...(fn.qualifier === undefined ? {} : { qualifier: fn.qualifier }),
      enabled: body.Enabled === undefined ? true : booleanField(body.Enabled, 'Enabled'),
      State: 'Creating',
      StateTransitionReason: 'USER_INITIATED',
      LastModified: this.clock(),
      LastProcessingResult: 'No records processed',
      Topics: [topic],
      StartingPosition: startingPosition as Mapping['StartingPosition'],
      BatchSize: 100,
      BootstrapServers: servers,
      ConsumerGroupId: groupId,
    };
    this.applySettings(mapping, body);
    this.mappings.set(uuid, mapping);
    this.save();
    this.transition(uuid, () => this.apply(uuid));
    return mapping;
  }

  private get(uuid: string): Mapping {
    const m = this.mappings.get(uuid);
    if (!m) throw new LambdaApiError('ResourceNotFoundException', `The resource you requested does not exist. (Service: Lambda, Status Code: 404, UUID: ${uuid})`);
    return m;
  }

  private list(params: URLSearchParams): { EventSourceMappings: Record<string, unknown>[]; NextMarker?: string } {
    let all = [...this.mappings.values()].sort((a, b) => a.LastModified - b.LastModified || a.UUID.localeCompare(b.UUID));
    const functionName = params.get('FunctionName');
    if (functionName !== null) {
      const fn = this.opts.host.resolveFunction(functionName);
      // Qualified: that alias's mappings; unqualified: every mapping of the function.
      all = all.filter((m) => (fn.qualifier === undefined ? m.functionName === fn.name : m.FunctionArn === fn.arn));
    }
    // Self-managed Kafka mappings have no event source ARN.
    if (params.get('EventSourceArn') !== null) all = [];
    const maxItemsRaw = params.get('MaxItems');
    const maxItems = maxItemsRaw === null ? 100 : Number(maxItemsRaw);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10_000) invalid('MaxItems', `must be an integer in [1, 10000], got ${describe(maxItemsRaw)}`);
    const marker = params.get('Marker');
    let start = 0;
    if (marker !== null) {
      start = Number(Buffer.from(marker, 'base64url').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) invalid('Marker', 'is not a marker this API returned');
    }
    const page = all.slice(start, start + maxItems);
    const next = start + maxItems < all.length ? Buffer.from(String(start + maxItems)).toString('base64url') : undefined;
    return { EventSourceMappings: page.map((m) => this.view(m)), ...(next ? { NextMarker: next } : {}) };
  }

  private update(uuid: string, body: Record<string, unknown>): Mapping {
    const m = this.get(uuid);
    known(body, [
      'FunctionName', 'Enabled', 'BatchSize', 'MaximumBatchingWindowInSeconds', 'DestinationConfig', 'MaximumRetryAttempts',
      'BisectBatchOnFunctionError', 'SelfManagedKafkaEventSourceConfig', 'ProvisionedPollerConfig', 'SourceAccessConfigurations',
    ]);
    if (m.State === 'Deleting') throw new LambdaApiError('ResourceInUseException', `Cannot update the event source mapping ${uuid}: it is being deleted`);
    if (body.SelfManagedKafkaEventSourceConfig !== undefined) {
      const config = objectField(body.SelfManagedKafkaEventSourceConfig, 'SelfManagedKafkaEventSourceConfig');
      if (config.ConsumerGroupId !== undefined && config.ConsumerGroupId !== m.ConsumerGroupId) {
        invalid('SelfManagedKafkaEventSourceConfig.ConsumerGroupId', 'cannot be changed on an existing event source mapping');
      }
    }
    const next: Mapping = { ...m };
    if (body.FunctionName !== undefined) {
      const fn = this.resolve(body.FunctionName);
      next.FunctionArn = fn.arn;
      next.functionName = fn.name;
      if (fn.qualifier === undefined) delete next.qualifier;
      else next.qualifier = fn.qualifier;
    }
    if (body.Enabled !== undefined) next.enabled = booleanField(body.Enabled, 'Enabled');
    this.applySettings(next, body);
    // As Lambda: a change of Enabled alone shows as Enabling/Disabling, any other as Updating.
    const onlyToggle = Object.keys(body).every((k) => k === 'Enabled') && next.enabled !== m.enabled;
    next.State = onlyToggle ? (next.enabled ? 'Enabling' : 'Disabling') : 'Updating';
    next.StateTransitionReason = 'USER_INITIATED';
    next.LastModified = this.clock();
    this.mappings.set(uuid, next);
    this.save();
    this.transition(uuid, () => this.apply(uuid));
    return next;
  }

  private delete(uuid: string): Mapping {
    const m = this.get(uuid);
    m.State = 'Deleting';
    m.StateTransitionReason = 'USER_INITIATED';
    m.LastModified = this.clock();
    this.save();
    this.transition(uuid, () => this.remove(uuid));
    return m;
  }

  /** The settings Create and Update share, validated onto `m`. */
  private applySettings(m: Mapping, body: Record<string, unknown>): void {
    if (Array.isArray(body.SourceAccessConfigurations) ? body.SourceAccessConfigurations.length > 0 : body.SourceAccessConfigurations !== undefined) {
      invalid('SourceAccessConfigurations', 'authentication and TLS to the brokers are not emulated; the local poller connects in plaintext');
    }
    if (body.BatchSize !== undefined) m.BatchSize = integerField(body.BatchSize, 'BatchSize', 1, MAX_BATCH_SIZE);
    if (body.MaximumBatchingWindowInSeconds !== undefined) {
      m.MaximumBatchingWindowInSeconds = integerField(body.MaximumBatchingWindowInSeconds, 'MaximumBatchingWindowInSeconds', 0, 300);
    }
    if (body.MaximumRetryAttempts !== undefined) m.MaximumRetryAttempts = integerField(body.MaximumRetryAttempts, 'MaximumRetryAttempts', -1, 10_000);
    if (body.BisectBatchOnFunctionError !== undefined) m.BisectBatchOnFunctionError = booleanField(body.BisectBatchOnFunctionError, 'BisectBatchOnFunctionError');
    if (body.ProvisionedPollerConfig !== undefined) {
      const config = objectField(body.ProvisionedPollerConfig, 'ProvisionedPollerConfig');
      const min = config.MinimumPollers === undefined ? undefined : integerField(config.MinimumPollers, 'ProvisionedPollerConfig.MinimumPollers', 1, 200);
      const max = config.MaximumPollers === undefined ? undefined : integerField(config.MaximumPollers, 'ProvisionedPollerConfig.MaximumPollers', 1, 2000);
      m.ProvisionedPollerConfig = { ...(min === undefined ? {} : { MinimumPollers: min }), ...(max === undefined ? {} : { MaximumPollers: max }) };
    }
    if (body.DestinationConfig !== undefined) {
      const config = objectField(body.DestinationConfig, 'DestinationConfig');
      if (config.OnSuccess !== undefined && Object.keys(objectField(config.OnSuccess, 'DestinationConfig.OnSuccess')).length > 0) {
        invalid('DestinationConfig.OnSuccess', 'is not supported for Kafka event sources');
      }
      const onFailure = config.OnFailure === undefined ? {} : objectField(config.OnFailure, 'DestinationConfig.OnFailure');
      const destination = onFailure.Destination;
      if (destination === undefined || destination === null || destination === '') {
        delete m.OnFailureDestination;
      } else {
        const topic = typeof destination === 'string' && destination.startsWith('kafka://') ? destination.slice('kafka://'.length) : undefined;
        if (topic === undefined || !TOPIC.test(topic)) {
          invalid('DestinationConfig.OnFailure.Destination', `must be kafka://<topic> in the emulator (SQS, SNS and S3 destinations are not emulated), got ${describe(destination)}`);
        }
        if (topic === m.Topics[0]) invalid('DestinationConfig.OnFailure.Destination', `must not be the source topic ${topic} (it would loop)`);
        m.OnFailureDestination = destination as string;
      }
    }
  }

  private resolve(raw: unknown): { name: string; qualifier?: string; arn: string } {
    if (typeof raw !== 'string' || raw === '') invalid('FunctionName', `must be a function name or ARN, got ${describe(raw)}`);
    return this.opts.host.resolveFunction(raw);
  }

  // ---- transitions -------------------------------------------------------------

  private transition(uuid: string, step: () => Promise<void>): void {
    const previous = this.transitions.get(uuid) ?? Promise.resolve();
    const next = previous.then(step).catch((err: unknown) => this.logger.error('event source mapping transition failed', { uuid, err }));
    this.transitions.set(uuid, next);
    void next.finally(() => {
      if (this.transitions.get(uuid) === next) this.transitions.delete(uuid);
    });
  }

  /** Brings the poller in line with the mapping (restarted, so a changed setting takes effect), then settles the state. */
  private async apply(uuid: string): Promise<void> {
    const m = this.mappings.get(uuid);
    if (!m || m.State === 'Deleting') return;
    await this.stopPoller(uuid);
    if (this.closed) return;
    if (m.enabled) {
      const poller = new KafkaPoller(this.pollerConfig(m), {
        invoke: (fn, payload, qualifier) => this.opts.host.invoke(fn, payload, qualifier),
        logger: this.logger,
        retryBackoff: this.opts.retryBackoff,
        onResult: (result) => {
          m.LastProcessingResult = result;
        },
      });
      this.pollers.set(uuid, poller);
      try {
        await poller.start();
      } catch (err) {
        m.LastProcessingResult = `PROBLEM: Connection error. ${(err as Error).message}`;
        this.logger.warn('event source mapping poller failed to start', { uuid, err });
      }
    }
    if (this.mappings.get(uuid) !== m) return;
    m.State = m.enabled ? 'Enabled' : 'Disabled';
    this.save();
  }

  private async remove(uuid: string): Promise<void> {
    await this.stopPoller(uuid);
    this.mappings.delete(uuid);
    this.save();
  }

  private async stopPoller(uuid: string): Promise<void> {
    const poller = this.pollers.get(uuid);
    if (!poller) return;
    this.pollers.delete(uuid);
    await poller.stop();
  }

  private pollerConfig(m: Mapping): PollerConfig {
    return {
      uuid: m.UUID,
      functionName: m.functionName,
      ...(m.qualifier === undefined ? {} : { qualifier: m.qualifier }),
      bootstrapServers: m.BootstrapServers,
      topic: m.Topics[0],
      groupId: m.ConsumerGroupId,
      startingPosition: m.StartingPosition,
      batchSize: m.BatchSize,
      batchingWindowMs: m.MaximumBatchingWindowInSeconds === undefined ? DEFAULT_KAFKA_WINDOW_MS : m.MaximumBatchingWindowInSeconds * 1000,
      maximumRetryAttempts: m.MaximumRetryAttempts ?? -1,
      bisectBatchOnFunctionError: m.BisectBatchOnFunctionError ?? false,
      ...(m.OnFailureDestination === undefined ? {} : { onFailureTopic: m.OnFailureDestination.slice('kafka://'.length) }),
    };
  }

  // ---- shapes and persistence --------------------------------------------------------

  /** EventSourceMappingConfiguration as the API returns it. */
  private view(m: Mapping): Record<string, unknown> {
    const { region, accountId } = this.opts.host;
    return {
      UUID: m.UUID,
      EventSourceMappingArn: `arn:aws:lambda:${region}:${accountId}:event-source-mapping:${m.UUID}`,
      FunctionArn: m.FunctionArn,
      StartingPosition: m.StartingPosition,
      BatchSize: m.BatchSize,
      ...(m.MaximumBatchingWindowInSeconds === undefined ? {} : { MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds }),
      Topics: m.Topics,
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: m.BootstrapServers } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: m.ConsumerGroupId },
      DestinationConfig: { OnFailure: m.OnFailureDestination === undefined ? {} : { Destination: m.OnFailureDestination } },
      ...(m.MaximumRetryAttempts === undefined ? {} : { MaximumRetryAttempts: m.MaximumRetryAttempts }),
      ...(m.BisectBatchOnFunctionError === undefined ? {} : { BisectBatchOnFunctionError: m.BisectBatchOnFunctionError }),
      ...(m.ProvisionedPollerConfig === undefined ? {} : { ProvisionedPollerConfig: m.ProvisionedPollerConfig }),
      State: m.State,
      StateTransitionReason: m.StateTransitionReason,
      LastModified: m.LastModified / 1000,
      LastProcessingResult: m.LastProcessingResult,
    };
  }

  private load(): StateFile {
    const file = this.opts.stateFile;
    if (!file || !fs.existsSync(file)) return { version: STATE_FILE_VERSION, mappings: [] };
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
    if (data.version !== STATE_FILE_VERSION) throw new Error(`${file}: unknown version ${data.version}`);
    return data;
  }

  /** Written whole and renamed into place, so a crash leaves the old file or the new one. */
  private save(): void {
    const file = this.opts.stateFile;
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const data: StateFile = { version: STATE_FILE_VERSION, mappings: [...this.mappings.values()], ...(this.opts.embeddedBootstrap ? { embeddedBootstrap: this.opts.embeddedBootstrap } : {}) };
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
    fs.renameSync(tmp, file);
  }
}

// ---- request helpers (shared with the alias operations) ---------------------------

/** The JSON object of a request body; InvalidRequestContentException otherwise. */
export async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req, BODY_CAP + 1);
  if (body.length > BODY_CAP) throw new LambdaApiError('RequestEntityTooLargeException', `Request must be smaller than ${BODY_CAP} bytes`);
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new LambdaApiError('InvalidRequestContentException', `Could not parse request body into json: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LambdaApiError('InvalidRequestContentException', 'The request body must be a JSON object');
  return value as Record<string, unknown>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': crypto.randomUUID() }).end(text);
}

export function invalid(field: string, message: string): never {
  throw new LambdaApiError('InvalidParameterValueException', `${field}: ${message}`);
}

function known(body: Record<string, unknown>, fields: string[]): void {
  for (const key of Object.keys(body)) {
    if (!fields.includes(key)) invalid(key, 'is not a parameter of this operation for a self-managed Kafka event source in the emulator');
  }
}

function bootstrapServersOf(raw: unknown): string[] {
  const source = objectField(raw, 'SelfManagedEventSource');
  const endpoints = objectField(source.Endpoints, 'SelfManagedEventSource.Endpoints');
  const servers = endpoints.KAFKA_BOOTSTRAP_SERVERS;
  const field = 'SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS';
  if (!Array.isArray(servers) || servers.length === 0 || servers.length > 10) invalid(field, `must list 1-10 servers as host:port, got ${describe(servers)}`);
  for (const s of servers) {
    if (typeof s !== 'string' || !BOOTSTRAP_SERVER.test(s)) invalid(field, `must list servers as host:port, got ${describe(s)}`);
  }
  return servers as string[];
}

function objectField(raw: unknown, field: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) invalid(field, `must be an object, got ${describe(raw)}`);
  return raw as Record<string, unknown>;
}

function integerField(raw: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(raw) || (raw as number) < min || (raw as number) > max) invalid(field, `must be an integer in [${min}, ${max}], got ${describe(raw)}`);
  return raw as number;
}

function booleanField(raw: unknown, field: string): boolean {
  if (typeof raw !== 'boolean') invalid(field, `must be true or false, got ${describe(raw)}`);
  return raw;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

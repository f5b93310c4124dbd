// The Kafka Connect REST API (../shared/connect-reference.md) as one hono app,
// served by functions/api.ts behind API Gateway and by server.ts locally.
//
// Every answer is JSON. Errors are always {"error_code": <status>, "message"}
// from one handler: a ConnectError's code decides the status (httpStatusOf),
// anything unexpected is a 500 and is logged. Bad input of any kind (body,
// path, query, method) is a 4xx naming the problem: an unknown path is a 404,
// a known path with another method a 405 with Allow.
//
// After every change the coordinator is kicked (an async Invoke); a failed kick
// is logged and never fails the request: the coordinator's schedule is the
// safety net.
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { maskSecrets, restoreMasked, type ConfigSpec } from '../connect/config/config-def.js';
import { BadRequestError, ConflictError, NotFoundError, errorResponse, httpStatusOf } from '../connect/errors.js';
import { slipwayVersion, type PluginRegistry } from '../connect/registry.js';
import type { Logger } from '../logging.js';
import type { SinkGroupOffsets, SinkOffset } from '../runtime/sink-offsets.js';
import type { ConnectorItem, Store, TaskItem } from '../store/index.js';
import {
  MAX_BODY_BYTES,
  PayloadTooLargeError,
  booleanQuery,
  checkConnectorName,
  checkSinkOffsets,
  connectorNameProblem,
  parseConfigMap,
  parseConfigPatch,
  parseCreateRequest,
  parseJsonBody,
  parseOffsetsRequest,
  withConnectorName,
} from './body.js';
import { ConnectorPlugins, checkConnectorConfig, validateConnectorConfig, type ResolvedPlugin } from './config-check.js';
import { connectorInfo, connectorState, connectorStatus, currentTasks, taskConfigs, taskState } from './views.js';

export interface ApiDeps {
  store: Store;
  registry: PluginRegistry;
  /** Async Invoke of the coordinator; errors are logged, never fail the request. */
  kickCoordinator: () => Promise<void>;
  logger: Logger;
  /** For lease liveness; default Date.now. */
  clock?: () => number;
  /** Worker-level converter settings (key.converter, value.converter, …), for validation. */
  workerDefaults?: Record<string, string>;
  /** A sink connector's offsets (its consumer groups in Kafka); without it they read as none and cannot be changed. */
  sinkOffsets?: SinkGroupOffsets;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Handler = (c: Context) => Promise<Response> | Response;

const STOPPED_REQUIRED =
  "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint";

export function createApiApp(deps: ApiDeps): Hono {
  const { store, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const plugins = new ConnectorPlugins(deps.registry);
  const checkOptions = { plugins, workerDefaults: deps.workerDefaults };
  // `/connectors/` answers as `/connectors`, as Kafka Connect's JAX-RS does.
  const app = new Hono({ strict: false });

  app.onError((err, c) => {
    if (err instanceof HTTPException) return json(c, err.status, { error_code: err.status, message: err.message || 'Bad request' });
    const status = err instanceof PayloadTooLargeError ? 413 : httpStatusOf(err);
    if (status >= 500) logger.error('request failed', { method: c.req.method, path: c.req.path, err });
    return json(c, status, { ...errorResponse(err).body, error_code: status });
  });
  app.notFound((c) => json(c, 404, { error_code: 404, message: `Unknown endpoint: ${c.req.method} ${c.req.path}` }));

  /** Registers the handlers of one path, and a 405 naming the allowed methods for every other method. */
  function route(path: string, handlers: Partial<Record<Method, Handler>>): void {
    const methods = Object.keys(handlers) as Method[];
    for (const method of methods) app.on(method, path, handlers[method]!);
    const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
    app.all(path, (c) => {
      c.header('Allow', allow);
      return json(c, 405, { error_code: 405, message: `Method ${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}` });
    });
  }

  async function kick(): Promise<void> {
    try {
      await deps.kickCoordinator();
    } catch (err) {
      logger.warn('could not kick the coordinator; its schedule will pick the change up', { err });
    }
  }

  /** The body as JSON; the size is checked before it is read when the client announces it. */
  async function body(c: Context, what: string): Promise<unknown> {
    const announced = Number(c.req.header('content-length'));
    if (Number.isFinite(announced) && announced > MAX_BODY_BYTES) throw new PayloadTooLargeError(announced);
    let text: string;
    try {
      text = await c.req.text();
    } catch (err) {
      throw new BadRequestError(`Could not read the request body: ${(err as Error).message}`);
    }
    return parseJsonBody(text, what);
  }

  /** The connector named in the path; a name no connector can have is simply not found. */
  async function load(c: Context): Promise<ConnectorItem> {
    const name = c.req.param('name') ?? '';
    const connector = connectorNameProblem(name) ? undefined : await store.getConnector(name);
    if (!connector) throw new NotFoundError(`Connector ${name} not found`);
    return connector;
  }

  function pluginOf(connector: ConnectorItem): ResolvedPlugin | undefined {
    return plugins.find(connector.config['connector.class']);
  }

  async function loadWithTasks(c: Context): Promise<{ connector: ConnectorItem; tasks: TaskItem[]; found: ResolvedPlugin | undefined }> {
    const connector = await load(c);
    const tasks = await store.listTasks(connector.name);
    return { connector, tasks, found: pluginOf(connector) };
  }

  /** The task named in the path among the connector's current tasks; 404 otherwise (also for ids that are not numbers). */
  function findTask(connector: ConnectorItem, tasks: readonly TaskItem[], raw: string): TaskItem {
    const id = /^\d{1,9}$/.test(raw) ? Number(raw) : -1;
    const task = currentTasks(connector, tasks).find((t) => t.task === id);
    if (!task) throw new NotFoundError(`Task ${raw} of connector ${connector.name} not found`);
    return task;
  }

  const leaseLive = (task: TaskItem): boolean => task.lease !== undefined && task.lease.expiresAt > clock();

  /**
   * A full config for connector `name`, checked: the name filled in (or matching),
   * secrets sent back as the mask restored from `stored`, then validated.
   */
  async function checkedConfig(name: string, config: Record<string, string>, stored: ConnectorItem | undefined): Promise<{ config: Record<string, string>; found: ResolvedPlugin }> {
    const withName = withConnectorName(config, name);
    const restored = restoreMasked(withName, stored?.config, plugins.find(withName['connector.class'])?.spec);
    return { config: restored, found: await checkConnectorConfig(restored, checkOptions) };
  }

  /** PUT and PATCH: create or update; 201 when created. */
  async function putConfig(c: Context, name: string, config: Record<string, string>, stored: ConnectorItem | undefined): Promise<Response> {
    const checked = await checkedConfig(name, config, stored);
    const { created, connector } = await store.putConnectorConfig(name, checked.config);
    await kick();
    if (created) c.header('Location', `/connectors/${encodeURIComponent(name)}`);
    const tasks = created ? [] : await store.listTasks(name);
    return c.json(connectorInfo(connector, tasks, checked.found), created ? 201 : 200);
  }

  // ---- worker ---------------------------------------------------------------

  route('/', {
    GET: (c) => c.json({ version: slipwayVersion(), commit: 'unknown', kafka_cluster_id: null }),
  });

  route('/health', {
    GET: (c) => c.json({ status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' }),
  });

  // ---- connectors -----------------------------------------------------------

  route('/connectors', {
    GET: async (c) => {
      const expand = c.req.queries('expand');
      const connectors = await store.listConnectors();
      if (expand === undefined) return c.json(connectors.map((k) => k.name));
      const out: Record<string, { status?: unknown; info?: unknown }> = {};
      await Promise.all(
        connectors.map(async (connector) => {
          const tasks = await store.listTasks(connector.name);
          const found = pluginOf(connector);
          const entry: { status?: unknown; info?: unknown } = {};
          // Unknown expansions are ignored, as in Kafka Connect.
          if (expand.includes('status')) entry.status = connectorStatus(connector, tasks, found);
          if (expand.includes('info')) entry.info = connectorInfo(connector, tasks, found);
          out[connector.name] = entry;
        }),
      );
      return c.json(out);
    },
    POST: async (c) => {
      const request = parseCreateRequest(await body(c, '{"name": ..., "config": {...}}'));
      const { config, found } = await checkedConfig(request.name, request.config, undefined);
      const connector = await store.createConnector(request.name, config, request.initialState);
      await kick();
      c.header('Location', `/connectors/${encodeURIComponent(connector.name)}`);
      return c.json(connectorInfo(connector, [], found), 201);
    },
  });

  route('/connectors/:name', {
    GET: async (c) => {
      const { connector, tasks, found } = await loadWithTasks(c);
      return c.json(connectorInfo(connector, tasks, found));
    },
    DELETE: async (c) => {
      const connector = await load(c);
      await store.deleteConnector(connector.name);
      await kick();
      return c.body(null, 204);
    },
  });

  route('/connectors/:name/config', {
    GET: async (c) => {
      const connector = await load(c);
      return c.json(maskSecrets(connector.config, pluginOf(connector)?.spec));
    },
    PUT: async (c) => {
      const name = checkConnectorName(c.req.param('name') ?? '');
      const config = parseConfigMap(await body(c, 'a connector config: a JSON object of strings'));
      return putConfig(c, name, config, await store.getConnector(name));
    },
    PATCH: async (c) => {
      const existing = await load(c);
      const patch = parseConfigPatch(await body(c, 'a config patch: a JSON object of strings, null to remove a key'));
      const kept = Object.entries(existing.config).filter(([key]) => !Object.hasOwn(patch, key));
      const added = Object.entries(patch).filter((e): e is [string, string] => e[1] !== null);
      return putConfig(c, existing.name, Object.fromEntries([...kept, ...added]), existing);
    },
  });

  route('/connectors/:name/status', {
    GET: async (c) => {
      const { connector, tasks, found } = await loadWithTasks(c);
      return c.json(connectorStatus(connector, tasks, found));
    },
  });

  route('/connectors/:name/tasks', {
    GET: async (c) => {
      const { connector, tasks, found } = await loadWithTasks(c);
      return c.json(taskConfigs(connector, tasks, found));
    },
  });

  route('/connectors/:name/tasks/:task/status', {
    GET: async (c) => {
      const { connector, tasks, found } = await loadWithTasks(c);
      return c.json(taskState(connector, findTask(connector, tasks, c.req.param('task') ?? ''), found));
    },
  });

  route('/connectors/:name/tasks/:task/restart', {
    POST: async (c) => {
      const { connector, tasks } = await loadWithTasks(c);
      const task = findTask(connector, tasks, c.req.param('task') ?? '');
      // An invocation holding a live lease cannot be interrupted from here; it keeps running.
      if (leaseLive(task)) throw new ConflictError(`Task ${task.task} of connector ${connector.name} is running in a live invocation (worker ${task.lease!.owner}); it can be restarted once its lease ends`);
      await store.setTaskState(connector.name, task.task, null, { state: 'RESTARTING', trace: null, nextRestartAt: null });
      await kick();
      return c.body(null, 204);
    },
  });

  for (const [action, target] of [
    ['pause', 'PAUSED'],
    ['resume', 'RUNNING'],
    ['stop', 'STOPPED'],
  ] as const) {
    route(`/connectors/:name/${action}`, {
      PUT: async (c) => {
        const connector = await load(c);
        await store.setTargetState(connector.name, target);
        await kick();
        return c.body(null, 202);
      },
    });
  }

  route('/connectors/:name/restart', {
    POST: async (c) => {
      const includeTasks = booleanQuery('includeTasks', c.req.query('includeTasks'), false);
      const onlyFailed = booleanQuery('onlyFailed', c.req.query('onlyFailed'), false);
      const { connector, tasks, found } = await loadWithTasks(c);
      const failed = connector.status.state === 'FAILED';
      // Slipway runs a connector instance only while the coordinator computes task
      // configs; restarting it means clearing its failure so the coordinator retries.
      const restartConnector = !onlyFailed || failed;
      if (restartConnector && failed) await store.setConnectorStatus(connector.name, { state: 'UNASSIGNED' });
      const restarted = new Set<number>();
      if (includeTasks) {
        for (const task of currentTasks(connector, tasks)) {
          if ((onlyFailed && task.state !== 'FAILED') || leaseLive(task)) continue;
          try {
            await store.setTaskState(connector.name, task.task, null, { state: 'RESTARTING', trace: null, nextRestartAt: null });
            restarted.add(task.task);
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err; // rewritten meanwhile: nothing to restart
          }
        }
      }
      await kick();
      if (!includeTasks && !onlyFailed) return c.body(null, 204);
      const status = connectorStatus(connector, tasks, found);
      if (restartConnector) status.connector = { state: 'RESTARTING', worker_id: connectorState(connector, found).worker_id };
      status.tasks = status.tasks.map((t) => (restarted.has(t.id) ? { id: t.id, state: 'RESTARTING', worker_id: t.worker_id } : t));
      return c.json(status, 202);
    },
  });

  // The topics a connector's tasks produced to, recorded by the workers (KIP-558).
  route('/connectors/:name/topics', {
    GET: async (c) => {
      const connector = await load(c);
      return c.json({ [connector.name]: { topics: connector.topics } });
    },
  });
  route('/connectors/:name/topics/reset', {
    PUT: async (c) => {
      const connector = await load(c);
      await store.resetConnectorTopics(connector.name);
      return c.body(null, 202);
    },
  });

  /** Offsets may change only while the connector is STOPPED and no invocation still holds a lease. */
  async function requireStoppedWithoutTasks(connector: ConnectorItem): Promise<void> {
    if (connector.targetState !== 'STOPPED') throw new BadRequestError(STOPPED_REQUIRED.replace('{name}', connector.name));
    const live = (await store.listTasks(connector.name)).filter(leaseLive);
    if (live.length > 0) {
      throw new ConflictError(`Connector ${connector.name} is STOPPED but task(s) ${live.map((t) => t.task).join(', ')} still hold a lease; try again when they have stopped`);
    }
  }

  /** A sink's offsets live in Kafka, not in the table. */
  const sinkOffsetsOf = (connector: ConnectorItem): SinkGroupOffsets | null => {
    if (pluginOf(connector)?.plugin.type !== 'sink') return null;
    if (!deps.sinkOffsets) throw new BadRequestError(`the offsets of sink connector ${connector.name} cannot be changed here: this REST API has no Kafka client`);
    return deps.sinkOffsets;
  };

  route('/connectors/:name/offsets', {
    GET: async (c) => {
      const connector = await load(c);
      const sink = pluginOf(connector)?.plugin.type === 'sink' ? deps.sinkOffsets : undefined;
      if (sink) return c.json({ offsets: await sink.read(connector.name, connector.config) });
      const offsets = await store.readOffsets(connector.name);
      return c.json({ offsets: offsets.filter((o) => o.offset !== null).map((o) => ({ partition: o.partition, offset: o.offset })) });
    },
    PATCH: async (c) => {
      const connector = await load(c);
      const entries = parseOffsetsRequest(await body(c, '{"offsets": [{"partition": {...}, "offset": {...} or null}]}'));
      const sink = pluginOf(connector)?.plugin.type === 'sink';
      if (sink) checkSinkOffsets(entries);
      await requireStoppedWithoutTasks(connector);
      if (sink) {
        await sinkOffsetsOf(connector)!.alter(connector.name, connector.config, entries as SinkOffset[]);
        return c.json({ message: 'The offsets for this connector have been altered successfully' });
      }
      // The connector's epoch counter is at least every epoch issued so far, so
      // these writes pass the store's fencing, and any later invocation (with a
      // larger epoch) reads them.
      for (const { partition, offset } of entries) {
        if (offset === null) await store.resetOffset(connector.name, partition);
        else await store.writeOffset(connector.name, partition, offset, connector.epoch);
      }
      await kick();
      return c.json({ message: 'The offsets for this connector have been altered successfully' });
    },
    DELETE: async (c) => {
      const connector = await load(c);
      await requireStoppedWithoutTasks(connector);
      const sink = sinkOffsetsOf(connector);
      if (sink) {
        await sink.reset(connector.name, connector.config);
        return c.json({ message: 'The offsets for this connector have been reset successfully' });
      }
      await store.deleteOffsets(connector.name);
      await kick();
      return c.json({ message: 'The offsets for this connector have been reset successfully' });
    },
  });

  // ---- connector plugins ------------------------------------------------------

  route('/connector-plugins', {
    GET: (c) => c.json(deps.registry.listPlugins({ connectorsOnly: booleanQuery('connectorsOnly', c.req.query('connectorsOnly'), true) })),
  });

  route('/connector-plugins/:plugin/config', {
    GET: (c) => c.json(pluginSpec(plugins, c.req.param('plugin') ?? '').describe()),
  });

  route('/connector-plugins/:plugin/config/validate', {
    PUT: async (c) => {
      const pluginName = c.req.param('plugin') ?? '';
      const target = plugins.registry.findConnector(pluginName);
      if (!target) throw new NotFoundError(`Unknown connector plugin ${pluginName}`);
      const config = parseConfigMap(await body(c, 'a connector config: a JSON object of strings'));
      const included = config['connector.class'];
      if (included !== undefined && plugins.registry.findConnector(included)?.class !== target.class) {
        throw new BadRequestError(`Included connector type ${included} does not match request type ${pluginName}`);
      }
      return c.json(await validateConnectorConfig({ ...config, 'connector.class': included ?? pluginName }, checkOptions));
    },
  });

  return app;
}

/** A connector's whole spec (base keys + its own); a converter's, transform's or predicate's own. 404 when unknown. */
function pluginSpec(plugins: ConnectorPlugins, name: string): ConfigSpec<unknown> {
  const registry = plugins.registry;
  if (registry.findConnector(name)) return plugins.resolve(name).spec;
  for (const find of [
    () => registry.resolveConverter(name),
    () => registry.resolveTransform(name, 'type'),
    () => registry.resolvePredicate(name, 'type'),
  ]) {
    let plugin: { create: () => { config(): ConfigSpec<unknown> } };
    try {
      plugin = find();
    } catch {
      continue;
    }
    return plugin.create().config();
  }
  throw new NotFoundError(`Unknown plugin ${name}`);
}

function json(c: Context, status: number, body: unknown): Response {
  return c.json(body, status as ContentfulStatusCode);
}

// Connector configs as the REST API checks them, in this order:
//   connector.class resolvable → the merged spec (connectorBaseConfig or
//   sinkConnectorBaseConfig + the plugin's config()) and the converters'
//   configs and the transforms' and predicates' configs (validateTransforms:
//   an unknown class, a bad option or an undeclared predicate names its key)
//   → the plugin's own validate(), only when all of that found nothing.
//
// The API checks the RAW config: config providers are never resolved here.
// `${file:…}` / `${env:…}` name things that exist where the task runs (a
// worker's files and environment), not necessarily in the API function, and
// resolving them would pull secrets into a process that has no use for them.
// So a field whose value holds a placeholder is exempt from type and
// validator checks (and from the plugin's own checks); the coordinator
// resolves and checks it before it starts the connector, and a failure there
// shows as a FAILED connector with the reason. (Cross-field checks of a spec
// run only when every field parsed, so a placeholder in a typed field also
// skips them.) src/connect/config/connector-validation.ts is the resolving
// variant of the same order, for the coordinator.
//
// Every value shown back (validate response, error messages) has literal
// secrets masked.
import { MASK, isSecretKey, type ConfigInfos, type ConfigSpec, type RawConfig } from '../connect/config/config-def.js';
import { connectorBaseConfig } from '../connect/config/connector-config.js';
import { connectorSpec } from '../connect/config/connector-validation.js';
import { hasPlaceholder } from '../connect/config/providers.js';
import { createConverters } from '../connect/converters/index.js';
import { ConfigError, type ConfigIssue } from '../connect/errors.js';
import { validateTransforms } from '../connect/transforms/chain.js';
import type { Connector, ConnectorType } from '../connect/plugin.js';
import type { ConnectorPlugin, PluginRegistry } from '../connect/registry.js';

export interface ResolvedPlugin {
  plugin: ConnectorPlugin;
  /** The whole spec: base (or sink base) keys merged with the plugin's own. */
  spec: ConfigSpec<unknown>;
}

/** Connector plugins by class or alias, with their merged specs computed once per class. */
export class ConnectorPlugins {
  readonly #specs = new Map<string, ConfigSpec<unknown>>();

  constructor(readonly registry: PluginRegistry) {}

  /** The plugin and its spec; ConfigError naming connector.class when it is missing, unknown or cannot be loaded. */
  resolve(connectorClass: string | undefined): ResolvedPlugin {
    if (connectorClass === undefined || connectorClass.trim() === '') {
      throw new ConfigError({ field: 'connector.class', message: 'Missing required configuration "connector.class" which has no default value.' });
    }
    const plugin = this.registry.resolveConnector(connectorClass);
    let spec = this.#specs.get(plugin.class);
    if (!spec) {
      try {
        spec = connectorSpec(plugin, plugin.create());
      } catch (err) {
        throw new ConfigError({ field: 'connector.class', message: `Connector class ${plugin.class} could not be loaded: ${messageOf(err)}` }, { cause: err });
      }
      this.#specs.set(plugin.class, spec);
    }
    return { plugin, spec };
  }

  /** As resolve(), undefined instead of an error (for masking a stored config whose plugin is gone). */
  find(connectorClass: string | undefined): ResolvedPlugin | undefined {
    try {
      return this.resolve(connectorClass);
    } catch {
      return undefined;
    }
  }
}

export function connectorTypeOf(found: ResolvedPlugin | undefined): ConnectorType | 'unknown' {
  return found?.plugin.type ?? 'unknown';
}

export interface CheckOptions {
  plugins: ConnectorPlugins;
  workerDefaults?: RawConfig;
}

/**
 * An invalid connector config (400), worded as Kafka Connect words it, with
 * every problem on its own line, each naming its field.
 */
export class InvalidConnectorConfigError extends ConfigError {
  constructor(issues: readonly ConfigIssue[]) {
    super(issues);
    this.name = 'InvalidConnectorConfigError';
    this.message =
      `Connector configuration is invalid and contains the following ${issues.length} error(s):\n` +
      issues.map((i) => i.message).join('\n') +
      '\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`';
  }
}

/** Checks a raw config for create/update; throws InvalidConnectorConfigError listing every problem. */
export async function checkConnectorConfig(raw: Readonly<Record<string, string>>, opts: CheckOptions): Promise<ResolvedPlugin> {
  let found: ResolvedPlugin;
  try {
    found = opts.plugins.resolve(raw['connector.class']);
  } catch (err) {
    if (err instanceof ConfigError) throw new InvalidConnectorConfigError(scrubIssues(err.issues, raw));
    throw err;
  }
  const infos = await validateWith(found, raw, opts);
  const issues = infos.configs.flatMap((c) => c.value.errors.map((message) => ({ field: c.value.name, message })));
  if (issues.length > 0) throw new InvalidConnectorConfigError(issues);
  return found;
}

/** The `PUT /connector-plugins/{p}/config/validate` response (Kafka's ConfigInfos), secrets masked. */
export async function validateConnectorConfig(raw: Readonly<Record<string, string>>, opts: CheckOptions): Promise<ConfigInfos> {
  let found: ResolvedPlugin | undefined;
  const classIssues: ConfigIssue[] = [];
  try {
    found = opts.plugins.resolve(raw['connector.class']);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A missing class is reported by the spec itself (connector.class is required).
    if (raw['connector.class'] !== undefined) classIssues.push(...err.issues);
  }
  return validateWith(found, raw, opts, classIssues);
}

async function validateWith(found: ResolvedPlugin | undefined, raw: Readonly<Record<string, string>>, opts: CheckOptions, initial: ConfigIssue[] = []): Promise<ConfigInfos> {
  const spec = found?.spec ?? connectorBaseConfig;
  const name = found?.plugin.class ?? raw['connector.class'] ?? '';
  const extra: Record<string, string[]> = {};
  const add = (issues: readonly ConfigIssue[]) => issues.forEach((i) => (extra[i.field] ??= []).push(i.message));
  add(initial);
  add(converterIssues(raw, opts));
  add(transformIssues(raw, opts));
  if (found?.plugin.type === 'sink') add(sinkDlqIssues(raw));

  let infos = finish(spec.validate(raw, { name, extraErrors: extra }), raw, spec);
  if (found && infos.error_count === 0) {
    const own = await pluginIssues(found.plugin, raw);
    if (own.length > 0) {
      add(own);
      infos = finish(spec.validate(raw, { name, extraErrors: extra }), raw, spec);
    }
  }
  return infos;
}

function converterIssues(raw: RawConfig, opts: CheckOptions): ConfigIssue[] {
  try {
    createConverters(raw, opts.workerDefaults ?? {}, { registry: opts.plugins.registry });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    return [{ field: 'value.converter', message: `The converters could not be configured: ${messageOf(err)}` }];
  }
}

/** The transforms' and predicates' issues; a plugin that cannot even be built is a problem with its type key, never a 500. */
function transformIssues(raw: RawConfig, opts: CheckOptions): ConfigIssue[] {
  const config = Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string'));
  try {
    return validateTransforms(config, opts.plugins.registry);
  } catch (err) {
    return [{ field: 'transforms', message: `The transforms could not be configured: ${messageOf(err)}` }];
  }
}

/** As Kafka's SinkConnectorConfig: a sink may not consume its own dead letter queue (it would feed its failures back to itself). */
function sinkDlqIssues(raw: RawConfig): ConfigIssue[] {
  const field = 'errors.deadletterqueue.topic.name';
  const dlq = raw[field]?.trim();
  if (!dlq || hasPlaceholder(dlq)) return [];
  const topics = (raw.topics ?? '').split(',').map((t) => t.trim());
  let matches = topics.includes(dlq) ? `topics=${raw.topics}` : undefined;
  const pattern = raw['topics.regex']?.trim();
  if (!matches && pattern) {
    try {
      if (new RegExp(`^(?:${pattern})$`).test(dlq)) matches = `topics.regex=${pattern}`;
    } catch {
      // topics.regex's own check reports it.
    }
  }
  return matches ? [{ field, message: `The DLQ topic '${dlq}' may not be included in the list of topics ('${matches}') consumed by the connector` }] : [];
}

/** The plugin's own validate() on a fresh instance; a throw is a problem with the config, never a 500. */
async function pluginIssues(plugin: ConnectorPlugin, raw: Readonly<Record<string, string>>): Promise<ConfigIssue[]> {
  let connector: Connector;
  try {
    connector = plugin.create();
    if (!connector.validate) return [];
    const problems = await connector.validate(raw);
    return Object.entries(problems).flatMap(([field, msgs]) => msgs.map((message) => ({ field, message })));
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    return [{ field: 'connector.class', message: `The connector's own validation of its config failed: ${messageOf(err)}` }];
  }
}

/**
 * The response as it may be shown: no errors on fields whose value is a
 * placeholder (checked where it is resolved), every message naming its
 * field, literal secrets masked in values and messages.
 */
function finish(infos: ConfigInfos, raw: Readonly<Record<string, string>>, spec: ConfigSpec<unknown>): ConfigInfos {
  const configs = infos.configs.map(({ definition, value }) => {
    const written = raw[value.name];
    const placeholder = written !== undefined && hasPlaceholder(written);
    const errors = placeholder ? [] : value.errors.map((m) => scrubSecrets(m.includes(value.name) ? m : `${value.name}: ${m}`, raw, spec));
    const shown = value.value !== null && value.value !== '' && isSecretKey(value.name, spec) && !hasPlaceholder(value.value) ? MASK : value.value;
    return { definition, value: { ...value, value: shown, errors } };
  });
  return { ...infos, configs, error_count: configs.reduce((n, c) => n + c.value.errors.length, 0) };
}

function scrubIssues(issues: readonly ConfigIssue[], raw: RawConfig): ConfigIssue[] {
  return issues.map((i) => ({ field: i.field, message: scrubSecrets(i.message, raw) }));
}

/** `text` with every literal secret value of `config` replaced by the mask (for messages and traces). */
export function scrubSecrets(text: string, config: RawConfig, spec?: ConfigSpec<unknown>): string {
  let out = text;
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string' || value === '' || value === MASK || hasPlaceholder(value) || !isSecretKey(key, spec)) continue;
    out = out.split(value).join(MASK);
  }
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

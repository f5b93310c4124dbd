// The transform chain of one connector: `transforms=a,b` with
// `transforms.<a>.type`, optional `transforms.<a>.predicate` (an alias listed
// in `predicates`) and `transforms.<a>.negate`; `predicates=p` with
// `predicates.<p>.type`. Each plugin gets its own keys with the prefix
// stripped (`transforms.route.regex` → `regex`), as in Kafka Connect.
//
// validateTransforms() finds every problem at once, each naming the exact key
// the user wrote, so a bad transform config is a 400 when the connector is
// created; TransformChain.fromConfig() builds the chain or throws a
// ConfigError with those same issues.

import { subset } from '../config/config-def.js';
import { ConfigError, ConnectError, isRetriable, type ConfigIssue } from '../errors.js';
import type { Predicate, Transformation } from '../plugin.js';
import type { ConnectRecord } from '../record.js';
import type { PluginRegistry } from '../registry.js';

interface Stage {
  readonly alias: string;
  readonly transform: Transformation;
  readonly transformClass: string;
  readonly predicate: Predicate | null;
  readonly predicateClass: string | null;
  readonly negate: boolean;
}

/** The aliases of a `transforms` / `predicates` list, as the config layer splits lists. */
function aliases(raw: string | undefined): string[] {
  const t = (raw ?? '').trim();
  return t === '' ? [] : t.split(/\s*,\s*/);
}

/** Issues of a plugin's own config, named with the full key the user wrote. */
function configurePlugin(plugin: Transformation | Predicate, config: Record<string, string>, prefix: string, issues: ConfigIssue[]): boolean {
  try {
    plugin.config().parse(config);
    plugin.configure(config);
    return true;
  } catch (err) {
    // Whatever configure() throws is the config's fault: a 400 naming the plugin, never a 500.
    if (err instanceof ConfigError) issues.push(...err.withPrefix(prefix).issues);
    else issues.push({ field: `${prefix}type`, message: `Invalid configuration ${prefix}*: ${err instanceof Error ? err.message : String(err)}` });
    return false;
  }
}

function build(config: Readonly<Record<string, string>>, registry: PluginRegistry): { stages: Stage[]; issues: ConfigIssue[]; plugins: Array<Transformation | Predicate> } {
  const issues: ConfigIssue[] = [];
  const plugins: Array<Transformation | Predicate> = [];
  const predicates = new Map<string, { predicate: Predicate; class: string }>();
  const declared = aliases(config.predicates);
  for (const alias of declared) {
    const prefix = `predicates.${alias}.`;
    const type = config[`${prefix}type`];
    if (type === undefined || type.trim() === '') {
      issues.push({ field: `${prefix}type`, message: `Missing required configuration "${prefix}type" which has no default value.` });
      continue;
    }
    try {
      const plugin = registry.resolvePredicate(type, `${prefix}type`);
      const predicate = plugin.create();
      plugins.push(predicate);
      const own = subset(config, prefix);
      delete own.type;
      if (configurePlugin(predicate, own, prefix, issues)) predicates.set(alias, { predicate, class: plugin.class });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  }

  const stages: Stage[] = [];
  for (const alias of aliases(config.transforms)) {
    const prefix = `transforms.${alias}.`;
    const type = config[`${prefix}type`];
    if (type === undefined || type.trim() === '') {
      issues.push({ field: `${prefix}type`, message: `Missing required configuration "${prefix}type" which has no default value.` });
      continue;
    }
    const negateText = (config[`${prefix}negate`] ?? 'false').trim().toLowerCase();
    if (negateText !== 'true' && negateText !== 'false') issues.push({ field: `${prefix}negate`, message: `Invalid value ${config[`${prefix}negate`]} for configuration ${prefix}negate: Expected value to be either true or false` });
    const predicateAlias = config[`${prefix}predicate`]?.trim();
    let predicate: { predicate: Predicate; class: string } | null = null;
    if (predicateAlias) {
      if (!declared.includes(predicateAlias)) {
        issues.push({ field: `${prefix}predicate`, message: `Invalid value ${predicateAlias} for configuration ${prefix}predicate: no predicate with that alias is listed in predicates (${declared.join(',') || 'none'})` });
      } else predicate = predicates.get(predicateAlias) ?? null;
    }
    try {
      const plugin = registry.resolveTransform(type, `${prefix}type`);
      const transform = plugin.create();
      plugins.push(transform);
      // The chain's own keys are not the plugin's.
      const own = subset(config, prefix);
      delete own.type;
      delete own.predicate;
      delete own.negate;
      if (configurePlugin(transform, own, prefix, issues)) stages.push({ alias, transform, transformClass: plugin.class, predicate: predicate?.predicate ?? null, predicateClass: predicate?.class ?? null, negate: negateText === 'true' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  }
  return { stages, issues, plugins };
}

function closeAll(plugins: ReadonlyArray<Transformation | Predicate>): void {
  for (const p of plugins) p.close?.();
}

/** Every problem of the transforms and predicates of a connector config, each naming its key. Empty when all is well. */
export function validateTransforms(config: Readonly<Record<string, string>>, registry: PluginRegistry): ConfigIssue[] {
  const { issues, plugins } = build(config, registry);
  closeAll(plugins);
  return issues;
}

/**
 * A transform or its predicate threw. Carries what Kafka Connect's error
 * context (and the DLQ's `__connect.errors.*` headers) needs: stage
 * TRANSFORMATION, the plugin's class, and the original error as `cause`
 * (whose class and message are the exception headers). Retriable when the
 * cause is.
 */
export class TransformError extends ConnectError {
  readonly stage = 'TRANSFORMATION';

  constructor(
    readonly alias: string,
    readonly className: string,
    cause: unknown,
  ) {
    super(`Transform ${alias} (${className}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      code: cause instanceof ConnectError ? cause.code : 'DATA_INVALID',
      retriable: isRetriable(cause),
      cause,
    });
    this.name = 'TransformError';
  }
}

export class TransformChain {
  readonly #stages: readonly Stage[];
  readonly #plugins: ReadonlyArray<Transformation | Predicate>;

  private constructor(stages: readonly Stage[], plugins: ReadonlyArray<Transformation | Predicate>) {
    this.#stages = stages;
    this.#plugins = plugins;
  }

  /** The chain a connector config declares; a ConfigError listing every problem otherwise. */
  static fromConfig(config: Readonly<Record<string, string>>, registry: PluginRegistry): TransformChain {
    const { stages, issues, plugins } = build(config, registry);
    if (issues.length > 0) {
      closeAll(plugins);
      throw new ConfigError(issues);
    }
    return new TransformChain(stages, plugins);
  }

  /** The aliases, in order. */
  get aliases(): string[] {
    return this.#stages.map((s) => s.alias);
  }

  /** The record after every transform whose predicate allows it; null when one dropped it. */
  apply<R extends ConnectRecord>(record: R): R | null {
    let current: R = record;
    for (const s of this.#stages) {
      let className = s.predicateClass;
      try {
        if (s.predicate && s.predicate.test(current) === s.negate) continue;
        className = s.transformClass;
        const next = s.transform.apply(current) as R | null;
        if (next === null) return null;
        current = next;
      } catch (err) {
        throw new TransformError(s.alias, className!, err);
      }
    }
    return current;
  }

  close(): void {
    closeAll(this.#plugins);
  }
}

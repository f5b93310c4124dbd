// The plugin registry: connectors, converters, transforms and predicates by
// the class names users already write (org.apache.kafka.connect.file.FileStreamSourceConnector)
// and by short aliases. As in Kafka Connect, every plugin is also found by its
// simple class name and, for connectors and converters, by that name without
// the `Connector`/`Converter` suffix (FileStreamSourceConnector, FileStreamSource;
// JsonConverter, Json). Each kind has its own namespace. A derived alias two
// classes share resolves to neither (the error lists both); an explicit alias
// that clashes is refused at registration.

import { ConfigError, ConflictError } from './errors.js';
import type { Converter } from './converters/converter.js';
import { ByteArrayConverter } from './converters/bytearray.js';
import { JsonConverter } from './converters/json.js';
import { StringConverter } from './converters/string.js';
import { SLIPWAY_VERSION } from '../version.js';
import type { Connector, ConnectorType, Predicate, Transformation } from './plugin.js';

export type PluginType = ConnectorType | 'converter' | 'header_converter' | 'transformation' | 'predicate';

/** One entry of `GET /connector-plugins`. */
export interface PluginInfo {
  class: string;
  type: PluginType;
  version: string;
}

interface Registration<T> {
  class: string;
  aliases?: readonly string[];
  version: string;
  create: () => T;
}

export interface ConnectorRegistration extends Registration<Connector> {
  type: ConnectorType;
}

export interface Plugin<T> {
  readonly class: string;
  readonly type: PluginType;
  readonly version: string;
  /** Every name it is found by, the class name first. */
  readonly aliases: readonly string[];
  readonly create: () => T;
}

export type ConnectorPlugin = Plugin<Connector> & { readonly type: ConnectorType };

type Kind = 'connector' | 'converter' | 'transformation' | 'predicate';

const KIND_LABEL: Record<Kind, string> = { connector: 'Connector', converter: 'Converter', transformation: 'Transformation', predicate: 'Predicate' };
const PRUNED_SUFFIX: Partial<Record<Kind, string>> = { connector: 'Connector', converter: 'Converter' };

class Namespace<T> {
  readonly byClass = new Map<string, Plugin<T>>();
  readonly #byName = new Map<string, Plugin<T>>();
  readonly #explicit = new Set<string>();
  /** Derived alias → the classes that share it. */
  readonly #ambiguous = new Map<string, string[]>();

  constructor(readonly kind: Kind) {}

  add(plugin: Omit<Plugin<T>, 'aliases'>, explicitAliases: readonly string[]): Plugin<T> {
    if (this.byClass.has(plugin.class) || this.#byName.has(plugin.class)) throw new ConflictError(`${KIND_LABEL[this.kind]} ${plugin.class} is already registered`);
    for (const alias of explicitAliases) {
      const other = this.#byName.get(alias);
      if (other && (this.#explicit.has(alias) || other.class === alias)) throw new ConflictError(`Alias ${alias} of ${plugin.class} is already taken by ${other.class}`);
    }
    const simple = plugin.class.slice(plugin.class.lastIndexOf('.') + 1);
    const suffix = PRUNED_SUFFIX[this.kind];
    const derived = [simple, ...(suffix && simple.endsWith(suffix) && simple.length > suffix.length ? [simple.slice(0, -suffix.length)] : [])];
    const aliases = [...new Set([plugin.class, ...explicitAliases, ...derived])];
    const full: Plugin<T> = Object.freeze({ ...plugin, aliases: Object.freeze(aliases) });
    this.byClass.set(plugin.class, full);
    this.#byName.set(plugin.class, full);
    for (const alias of explicitAliases) {
      this.#byName.set(alias, full);
      this.#explicit.add(alias);
      this.#ambiguous.delete(alias);
    }
    for (const alias of derived) {
      if (this.#explicit.has(alias) || alias === plugin.class) continue;
      const shared = this.#ambiguous.get(alias);
      const existing = this.#byName.get(alias);
      if (shared) shared.push(plugin.class);
      else if (existing && existing !== full) {
        this.#ambiguous.set(alias, [existing.class, plugin.class]);
        this.#byName.delete(alias);
      } else this.#byName.set(alias, full);
    }
    return full;
  }

  find(name: string): Plugin<T> | undefined {
    return this.#byName.get(name.trim());
  }

  /** The plugin, or a ConfigError for `field` naming the value and what is available. */
  resolve(name: string, field: string): Plugin<T> {
    const found = this.find(name);
    if (found) return found;
    const label = KIND_LABEL[this.kind];
    const shared = this.#ambiguous.get(name.trim());
    const why = shared
      ? `${name} is ambiguous: it is the simple name of ${shared.join(' and ')}; use the full class name`
      : `Failed to find any class that implements ${label} and which name matches ${name}; available: ${[...this.byClass.keys()].sort().join(', ') || 'none'}`;
    throw new ConfigError({ field, message: `Invalid value ${name} for configuration ${field}: ${why}` });
  }
}

export class PluginRegistry {
  readonly #connectors = new Namespace<Connector>('connector');
  readonly #converters = new Namespace<Converter>('converter');
  readonly #transforms = new Namespace<Transformation>('transformation');
  readonly #predicates = new Namespace<Predicate>('predicate');

  registerConnector(r: ConnectorRegistration): ConnectorPlugin {
    return this.#connectors.add({ class: r.class, type: r.type, version: r.version, create: r.create }, r.aliases ?? []) as ConnectorPlugin;
  }

  registerConverter(r: Registration<Converter>): Plugin<Converter> {
    return this.#converters.add({ class: r.class, type: 'converter', version: r.version, create: r.create }, r.aliases ?? []);
  }

  registerTransform(r: Registration<Transformation>): Plugin<Transformation> {
    return this.#transforms.add({ class: r.class, type: 'transformation', version: r.version, create: r.create }, r.aliases ?? []);
  }

  registerPredicate(r: Registration<Predicate>): Plugin<Predicate> {
    return this.#predicates.add({ class: r.class, type: 'predicate', version: r.version, create: r.create }, r.aliases ?? []);
  }

  /** By class name or alias; undefined when unknown (e.g. for a 404). */
  findConnector(nameOrAlias: string): ConnectorPlugin | undefined {
    return this.#connectors.find(nameOrAlias) as ConnectorPlugin | undefined;
  }

  /** By class name or alias; ConfigError for `connector.class` naming the value otherwise. */
  resolveConnector(nameOrAlias: string): ConnectorPlugin {
    return this.#connectors.resolve(nameOrAlias, 'connector.class') as ConnectorPlugin;
  }

  /** `field` is the config key that named it (key.converter, value.converter), for the error. */
  resolveConverter(nameOrAlias: string, field = 'value.converter'): Plugin<Converter> {
    return this.#converters.resolve(nameOrAlias, field);
  }

  resolveTransform(nameOrAlias: string, field: string): Plugin<Transformation> {
    return this.#transforms.resolve(nameOrAlias, field);
  }

  resolvePredicate(nameOrAlias: string, field: string): Plugin<Predicate> {
    return this.#predicates.resolve(nameOrAlias, field);
  }

  /** `GET /connector-plugins[?connectorsOnly=false]`: `[{class, type, version}]`, sorted by class. */
  listPlugins(opts: { connectorsOnly?: boolean } = {}): PluginInfo[] {
    const spaces: Array<Namespace<unknown>> = [this.#connectors as Namespace<unknown>];
    if (opts.connectorsOnly === false) spaces.push(this.#converters, this.#transforms, this.#predicates);
    return spaces
      .flatMap((ns) => [...ns.byClass.values()])
      .map((p) => ({ class: p.class, type: p.type, version: p.version }))
      .sort((a, b) => (a.class < b.class ? -1 : a.class > b.class ? 1 : 0));
  }
}


/** Slipway's version, reported as the version of built-in plugins. */
export function slipwayVersion(): string {
  return SLIPWAY_VERSION;
}

/** A registry holding the built-in converters; connectors, transforms and predicates register themselves onto it. */
export function createPluginRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  const v = slipwayVersion();
  registry.registerConverter({ class: JsonConverter.CLASS, version: v, create: () => new JsonConverter() });
  registry.registerConverter({ class: StringConverter.CLASS, version: v, create: () => new StringConverter() });
  registry.registerConverter({ class: ByteArrayConverter.CLASS, version: v, create: () => new ByteArrayConverter() });
  return registry;
}

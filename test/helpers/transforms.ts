// What the connect-transforms-*.test.ts files share: a plugin registry with
// every transform and predicate registered, and a configured transform
// resolved from it by class or simple name.
import type { Transformation } from '../../src/connect/plugin.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { registerTransforms } from '../../src/connect/transforms/index.js';

export const registry = createPluginRegistry();
registerTransforms(registry);

/** The transform `name` resolves to, configured with `config`; `key` is the config key its errors name. */
export function transform(name: string, config: Record<string, string> = {}, key = 'transforms.t.type'): Transformation {
  const t = registry.resolveTransform(name, key).create();
  t.configure(config);
  return t;
}

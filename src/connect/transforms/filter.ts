// Filter: drops every record it is applied to; with a predicate (and negate)
// it drops the records that match (or don't).

import { defineConfig } from '../config/config-def.js';
import type { Transformation } from '../plugin.js';

const spec = defineConfig([]);

export class Filter implements Transformation {
  config() {
    return spec;
  }

  configure(): void {}

  apply(): null {
    return null;
  }
}

export * from './schema.js';
export * from './struct.js';
export * from './logical.js';
export * from './values.js';

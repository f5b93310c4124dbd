// Slipway's version, as a constant: a bundled Lambda function has no package.json
// beside it to read. test/unit/version.test.ts keeps it equal to package.json's.
export const SLIPWAY_VERSION = '0.1.0';

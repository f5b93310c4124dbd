// The store: connector configs, task leases and offsets in one DynamoDB table.
export { createDynamoClient, dynamoEndpoint, ensureTable, tableName, DEFAULT_REGION, DEFAULT_TABLE, type Env } from './client.js';
export type { ConnectorItem, ConnectorState, ConnectorStatus, Lease, LeaseGrant, OffsetItem, TargetState, TaskItem, TaskState } from './items.js';
export { canonicalJson, offsetSortKey } from './keys.js';
export { Store, type StoreOptions, type TaskStateFields } from './store.js';

// The table of APIs this broker serves, and ApiVersions, which advertises it.
//
// ApiVersions v0–2  req: (empty)
//                   resp: error_code, api_keys [api_key, min_version, max_version], throttle_time_ms (v1+, LAST)
// Only non-flexible versions are served. librdkafka opens with ApiVersions v3 (flexible header):
// the server answers error 35 with a v0 body and keeps the connection, and the client retries with v0.
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Writer } from '../protocol/codec.js';
import type { ApiHandler } from '../context.js';
import { createPartitions, createTopics, deleteTopics, describeConfigs, initProducerId } from './admin.js';
import { fetch } from './fetch.js';
import { deleteGroups, describeGroups, findCoordinator, heartbeat, joinGroup, leaveGroup, listGroups, offsetCommit, offsetFetch, syncGroup } from './groups.js';
import { listOffsets } from './list-offsets.js';
import { metadata } from './metadata.js';
import { produce } from './produce.js';

export const apiVersions: ApiHandler = {
  key: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 2,
  handle(_ctx, req, _r, w) {
    writeApiVersions(w, ErrorCode.NONE, req.apiVersion);
  },
};

const handlers: ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  apiVersions,
  createTopics,
  deleteTopics,
  initProducerId,
  describeConfigs,
  createPartitions,
  deleteGroups,
];

export const apiHandlers: ReadonlyMap<number, ApiHandler> = new Map(handlers.map((h) => [h.key, h]));

export function writeApiVersions(w: Writer, errorCode: number, version: number): void {
  w.int16(errorCode);
  w.array(handlers, (wa, h) => {
    wa.int16(h.key).int16(h.minVersion).int16(h.maxVersion);
  });
  if (version >= 1) w.int32(0);
}

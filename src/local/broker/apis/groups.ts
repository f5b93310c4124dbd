// The group APIs: wire encoding only; the state machine is in ../group/.
//
// FindCoordinator v0–2  req: key, key_type (v1+)
//                       resp: throttle (v1+), error_code, error_message (v1+), node_id, host, port
// JoinGroup v0–5        req: group_id, session_timeout_ms, rebalance_timeout_ms (v1+), member_id,
//                            group_instance_id (v5+), protocol_type, protocols [name, metadata bytes]
//                       resp: throttle (v2+), error_code, generation_id, protocol_name, leader, member_id,
//                             members [member_id, group_instance_id (v5+), metadata]
// SyncGroup v0–3        req: group_id, generation_id, member_id, group_instance_id (v3+),
//                            assignments [member_id, assignment bytes]
//                       resp: throttle (v1+), error_code, assignment
// Heartbeat v0–3        req: group_id, generation_id, member_id, group_instance_id (v3+)
//                       resp: throttle (v1+), error_code
// LeaveGroup v0–3       req: group_id, member_id (v0–2) | members [member_id, group_instance_id] (v3)
//                       resp: throttle (v1+), error_code, members [member_id, group_instance_id, error_code] (v3)
// OffsetCommit v2–7     req: group_id, generation_id, member_id, group_instance_id (v7+), retention_time_ms (v2–4),
//                            topics [name, partitions [index, offset, leader_epoch (v6+), metadata]]
//                       resp: throttle (v3+), topics [name, partitions [index, error_code]]
// OffsetFetch v1–5      req: group_id, topics nullable (v2+) [name, [partition]]
//                       resp: throttle (v3+), topics [name, partitions [index, offset, leader_epoch (v5+),
//                             metadata, error_code]], error_code (v2+)
// DescribeGroups v0–2   req: [group_id]
//                       resp: throttle (v1+), groups [error_code, group_id, state, protocol_type, protocol_data,
//                             members [member_id, client_id, client_host, metadata, assignment]]
// ListGroups v0–2       resp: throttle (v1+), error_code, groups [group_id, protocol_type]
// DeleteGroups v0–1     req: [group_id]; resp: throttle, results [group_id, error_code]
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from '../context.js';
import type { Writer } from '../protocol/codec.js';

export const findCoordinator: ApiHandler = {
  key: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req, r, w) {
    r.string(); // key: this broker coordinates every group
    if (req.apiVersion >= 1) r.int8();
    if (req.apiVersion >= 1) w.int32(0);
    w.int16(ErrorCode.NONE);
    if (req.apiVersion >= 1) w.nullableString(null);
    w.int32(ctx.config.nodeId).string(ctx.config.host).int32(ctx.config.port);
  },
};

export const joinGroup: ApiHandler = {
  key: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, r, w) {
    const v = req.apiVersion;
    const groupId = r.string();
    const sessionTimeoutMs = r.int32();
    const rebalanceTimeoutMs = v >= 1 ? r.int32() : sessionTimeoutMs;
    const memberId = r.string();
    const groupInstanceId = v >= 5 ? r.nullableString() : null;
    const protocolType = r.string();
    const protocols = r.array((rp) => ({ name: rp.string(), metadata: Buffer.from(rp.bytes()) }));
    const res = await ctx.groups.joinGroup({
      groupId,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      memberId,
      groupInstanceId,
      protocolType,
      protocols,
      requireKnownMemberId: v >= 4,
      clientId: req.clientId ?? '',
      clientHost: req.clientHost,
    });
    if (v >= 2) w.int32(0);
    w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
    w.array(res.members, (wm, m) => {
      wm.string(m.memberId);
      if (v >= 5) wm.nullableString(m.groupInstanceId);
      wm.bytes(m.metadata);
    });
  },
};

export const syncGroup: ApiHandler = {
  key: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req, r, w) {
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    const groupInstanceId = req.apiVersion >= 3 ? r.nullableString() : null;
    const assignments = r.array((ra) => ({ memberId: ra.string(), assignment: Buffer.from(ra.bytes()) }));
    const res = await ctx.groups.syncGroup({ groupId, generationId, memberId, groupInstanceId, assignments });
    if (req.apiVersion >= 1) w.int32(0);
    w.int16(res.errorCode).bytes(res.assignment);
  },
};

export const heartbeat: ApiHandler = {
  key: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req, r, w) {
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    const groupInstanceId = req.apiVersion >= 3 ? r.nullableString() : null;
    const errorCode = ctx.groups.heartbeat({ groupId, generationId, memberId, groupInstanceId });
    if (req.apiVersion >= 1) w.int32(0);
    w.int16(errorCode);
  },
};

export const leaveGroup: ApiHandler = {
  key: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    const groupId = r.string();
    const members = v >= 3 ? r.array((rm) => ({ memberId: rm.string(), groupInstanceId: rm.nullableString() })) : [{ memberId: r.string(), groupInstanceId: null }];
    const res = ctx.groups.leaveGroup(groupId, members);
    if (v >= 1) w.int32(0);
    if (v >= 3) {
      w.int16(res.errorCode);
      w.array(res.members, (wm, m) => {
        wm.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode);
      });
    } else {
      // Before v3 a single member leaves: its own error is the response's.
      w.int16(res.errorCode !== ErrorCode.NONE ? res.errorCode : (res.members[0]?.errorCode ?? ErrorCode.NONE));
    }
  },
};

export const offsetCommit: ApiHandler = {
  key: ApiKey.OffsetCommit,
  minVersion: 2,
  maxVersion: 7,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    if (v >= 7) r.nullableString(); // group_instance_id
    if (v <= 4) r.int64(); // retention_time_ms
    const topics = r.array((rt) => ({
      name: rt.string(),
      partitions: rt.array((rp) => {
        const partition = rp.int32();
        const offset = rp.int64();
        if (v >= 6) rp.int32(); // committed_leader_epoch
        return { partition, offset, metadata: rp.nullableString() };
      }),
    }));
    const flat = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
    const results = ctx.groups.commitOffsets(groupId, generationId, memberId, flat);
    if (v >= 3) w.int32(0);
    writeByTopic(w, results, (wp, p) => {
      wp.int32(p.partition).int16(p.errorCode);
    });
  },
};

export const offsetFetch: ApiHandler = {
  key: ApiKey.OffsetFetch,
  minVersion: 1,
  maxVersion: 5,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    const groupId = r.string();
    const topics = r.nullableArray((rt) => ({ topic: rt.string(), partitions: rt.array((rp) => rp.int32()) }));
    const results = ctx.groups.fetchOffsets(groupId, topics);
    if (v >= 3) w.int32(0);
    writeByTopic(w, results, (wp, p) => {
      wp.int32(p.partition).int64(p.offset);
      if (v >= 5) wp.int32(-1); // committed_leader_epoch
      wp.nullableString(p.metadata).int16(p.errorCode);
    });
    if (v >= 2) w.int16(ErrorCode.NONE);
  },
};

export const describeGroups: ApiHandler = {
  key: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req, r, w) {
    const ids = r.array((rr) => rr.string());
    if (req.apiVersion >= 1) w.int32(0);
    w.array(ctx.groups.describeGroups(ids), (wg, g) => {
      wg.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData);
      wg.array(g.members, (wm, m) => {
        wm.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment);
      });
    });
  },
};

export const listGroups: ApiHandler = {
  key: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req, _r, w) {
    if (req.apiVersion >= 1) w.int32(0);
    w.int16(ErrorCode.NONE);
    w.array(ctx.groups.listGroups(), (wg, g) => {
      wg.string(g.groupId).string(g.protocolType);
    });
  },
};

export const deleteGroups: ApiHandler = {
  key: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, _req, r, w) {
    const ids = r.array((rr) => rr.string());
    w.int32(0);
    w.array(ctx.groups.deleteGroups(ids), (wg, g) => {
      wg.string(g.groupId).int16(g.errorCode);
    });
  },
};

/** A topics array [name, partitions [...]] of per-partition results, topics in the order they first appear. */
function writeByTopic<T extends { topic: string }>(w: Writer, results: readonly T[], writePartition: (wp: Writer, p: T) => void): void {
  const byTopic = new Map<string, T[]>();
  for (const item of results) {
    const list = byTopic.get(item.topic);
    if (list) list.push(item);
    else byTopic.set(item.topic, [item]);
  }
  w.array([...byTopic], (wt, [name, parts]) => {
    wt.string(name);
    wt.array(parts, writePartition);
  });
}

// Volume: size grows (never shrinks), iops follows the spec for piops; type and zone are fixed.
// Attachment is declared on the VM, so server_id is observed here, never diffed.
import type { Volume as VolumeObject } from "../../crds/volume.ts";
import { desiredTags } from "../generic/ownership.ts";
import { type Actuator, type Change } from "../generic/actuator.ts";
import { cloudName, observeByState, restKind, tagsChange } from "../rest/resource.ts";
import type { Provider } from "../provider/resolver.ts";
import type { CloudApi, Volume } from "../rest/cloud-api.ts";
import { requireInCatalog } from "../rest/catalog-checks.ts";
import { mismatches } from "./immutable.ts";

export const volumeActuator: Actuator<VolumeObject, Volume, CloudApi, Provider> = {
  ...restKind("Volume", (api) => api.storage.volumes),
  dependencies: () => [],
  async create(op) {
    const { spec } = op.object;
    await requireInCatalog(op.client, "zones", "spec.zone", spec.zone, op.signal);
    return op.client.storage.volumes.create(
      {
        name: cloudName(op.object, op.installation),
        size_gib: spec.sizeGiB,
        zone: spec.zone,
        type: spec.type,
        ...(spec.iops !== undefined ? { iops: spec.iops } : {}),
        tags: op.desiredTags,
      },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    );
  },
  diff(object, cloud, _deps, ownership) {
    const changes: Change[] = tagsChange(desiredTags(object, ownership), cloud.tags);
    // Only growth is a change: a cloud volume larger than the spec (grown out of band) cannot shrink.
    if (object.spec.sizeGiB > cloud.size_gib)
      changes.push({ field: "sizeGiB", from: cloud.size_gib, to: object.spec.sizeGiB });
    if (object.spec.type === "piops" && object.spec.iops !== undefined && object.spec.iops !== cloud.iops) {
      changes.push({ field: "iops", from: cloud.iops, to: object.spec.iops });
    }
    return changes;
  },
  // sizeGiB is not here: a cloud volume smaller than the spec grows (diff), a larger one is kept.
  immutableMismatches: (object, cloud) =>
    mismatches([
      { field: "zone", spec: object.spec.zone, cloud: cloud.zone },
      { field: "type", spec: object.spec.type, cloud: cloud.type },
    ]),
  async update(op, cloud, changes) {
    const patch: { tags?: Record<string, string>; size_gib?: number; iops?: number } = {};
    for (const c of changes) {
      if (c.field === "tags") patch.tags = op.desiredTags;
      if (c.field === "sizeGiB") patch.size_gib = op.object.spec.sizeGiB;
      if (c.field === "iops" && op.object.spec.iops !== undefined) patch.iops = op.object.spec.iops;
    }
    await op.client.storage.volumes.update(cloud.id, patch, { signal: op.signal });
    return patch.size_gib !== undefined ? "progress" : "done";
  },
  async remove(op, cloud) {
    // A volume still attached (its VM was orphaned or is not managed here) is detached first;
    // the reconciler polls and calls remove again once it is available.
    if (cloud.server_id) {
      if (cloud.state === "in_use")
        await op.client.storage.volumes.detach(cloud.id, cloud.server_id, { signal: op.signal });
      return {
        progress: `detaching the cloud Volume ${cloud.id} from server ${cloud.server_id} before deleting it`,
      };
    }
    await op.client.storage.volumes.delete(cloud.id, { signal: op.signal });
    return "requested";
  },
  observe: (cloud) =>
    observeByState(
      cloud,
      {
        ready: ["available", "in_use"],
        transitional: ["creating", "attaching", "detaching", "resizing", "deleting"],
      },
      {
        name: cloud.name,
        sizeGiB: cloud.size_gib,
        type: cloud.type,
        iops: cloud.iops ?? undefined,
        zone: cloud.zone,
        serverID: cloud.server_id ?? undefined,
      },
    ),
};

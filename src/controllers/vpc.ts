// VPC: cidr and name are fixed at creation; description and tags follow the spec.
import type { VPC } from "../crds/vpc.ts";
import { desiredTags, observeByState, tagsChange, type Actuator, type Change } from "./actuator.ts";
import type { Vpc } from "./cloud-api.ts";

export const vpcActuator: Actuator<VPC, Vpc> = {
  kind: "VPC",
  dependencies: () => [],
  collection: (api) => api.network.vpcs,
  findByTags: (api, tags, signal) => api.network.vpcs.listAll({ tags }, { signal }),
  create: (op) =>
    op.api.network.vpcs.create(
      {
        name: op.cloudName,
        cidr: op.object.spec.cidr,
        ...(op.object.spec.description !== undefined ? { description: op.object.spec.description } : {}),
        tags: op.desiredTags,
      },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    ),
  diff(object, cloud) {
    const changes: Change[] = tagsChange(desiredTags(object, "VPC"), cloud.tags);
    const wanted = object.spec.description;
    if (wanted !== undefined && wanted !== (cloud.description ?? "")) {
      changes.push({ field: "description", from: cloud.description ?? "", to: wanted });
    }
    return changes;
  },
  async update(op, cloud, changes) {
    const patch: { tags?: Record<string, string>; description?: string } = {};
    for (const c of changes) {
      if (c.field === "tags") patch.tags = op.desiredTags;
      if (c.field === "description") patch.description = op.object.spec.description ?? "";
    }
    await op.api.network.vpcs.update(cloud.id, patch, { signal: op.signal });
    return "done";
  },
  async remove(op, cloud) {
    await op.api.network.vpcs.delete(cloud.id, { signal: op.signal });
  },
  observe: (cloud) =>
    observeByState(
      cloud,
      { ready: ["active"], transitional: ["creating", "deleting"] },
      { name: cloud.name, cidr: cloud.cidr, description: cloud.description ?? undefined },
    ),
};

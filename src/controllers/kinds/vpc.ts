// VPC: cidr and name are fixed at creation; description and tags follow the spec.
import type { VPC } from "../../crds/vpc.ts";
import { desiredTags } from "../generic/ownership.ts";
import { type Actuator, type Change } from "../generic/actuator.ts";
import { cloudName, observeByState, restKind, tagsChange } from "../rest/resource.ts";
import type { Provider } from "../provider/resolver.ts";
import type { CloudApi, Vpc } from "../rest/cloud-api.ts";
import { mismatches } from "./immutable.ts";

export const vpcActuator: Actuator<VPC, Vpc, CloudApi, Provider> = {
  ...restKind("VPC", (api) => api.network.vpcs),
  dependencies: () => [],
  create: (op) =>
    op.client.network.vpcs.create(
      {
        name: cloudName(op.object, op.installation),
        cidr: op.object.spec.cidr,
        ...(op.object.spec.description !== undefined ? { description: op.object.spec.description } : {}),
        tags: op.desiredTags,
      },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    ),
  diff(object, cloud, _deps, ownership) {
    const changes: Change[] = tagsChange(desiredTags(object, ownership), cloud.tags);
    const wanted = object.spec.description;
    if (wanted !== undefined && wanted !== (cloud.description ?? "")) {
      changes.push({ field: "description", from: cloud.description ?? "", to: wanted });
    }
    return changes;
  },
  immutableMismatches: (object, cloud) =>
    mismatches([{ field: "cidr", spec: object.spec.cidr, cloud: cloud.cidr }]),
  async update(op, cloud, changes) {
    const patch: { tags?: Record<string, string>; description?: string } = {};
    for (const c of changes) {
      if (c.field === "tags") patch.tags = op.desiredTags;
      if (c.field === "description") patch.description = op.object.spec.description ?? "";
    }
    await op.client.network.vpcs.update(cloud.id, patch, { signal: op.signal });
    return "done";
  },
  observe: (cloud) =>
    observeByState(
      cloud,
      { ready: ["active"], transitional: ["creating", "deleting"] },
      { name: cloud.name, cidr: cloud.cidr, description: cloud.description ?? undefined },
    ),
};

// Subnet: lives in a VPC (vpcRef or vpcID); cidr and zone are fixed; tags follow the spec.
import type { Subnet as SubnetObject } from "../crds/subnet.ts";
import { desiredTags, observeByState, tagsChange, type Actuator, type Dependency } from "./actuator.ts";
import type { Subnet } from "./cloud-api.ts";

export const subnetActuator: Actuator<SubnetObject, Subnet> = {
  kind: "Subnet",
  dependencies(object): Dependency[] {
    const ref = object.spec.vpcRef;
    return ref ? [{ kind: "VPC", name: ref.name, neededFor: "create", blocksDeletion: true }] : [];
  },
  get: (api, id, signal) => api.network.subnets.find(id, { signal }),
  findByTags: (api, tags, signal) => api.network.subnets.listAll({ tags }, { signal }),
  create(op) {
    const { spec } = op.object;
    const vpcId = spec.vpcID ?? op.deps.id({ kind: "VPC", name: spec.vpcRef?.name ?? "" });
    return op.api.network.subnets.create(
      { name: op.cloudName, vpc_id: vpcId, cidr: spec.cidr, zone: spec.zone, tags: op.desiredTags },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    );
  },
  diff: (object, cloud) => tagsChange(desiredTags(object, "Subnet"), cloud.tags),
  async update(op, cloud) {
    await op.api.network.subnets.update(cloud.id, { tags: op.desiredTags }, { signal: op.signal });
    return "done";
  },
  async remove(op, cloud) {
    await op.api.network.subnets.delete(cloud.id, { signal: op.signal });
  },
  observe: (cloud) =>
    observeByState(
      cloud,
      { ready: ["active"], transitional: ["creating", "deleting"] },
      {
        name: cloud.name,
        vpcID: cloud.vpc_id,
        cidr: cloud.cidr,
        zone: cloud.zone,
        gatewayIP: cloud.gateway_ip,
      },
    ),
};

// Subnet: lives in a VPC (vpcRef or vpcID); cidr and zone are fixed; tags follow the spec.
import type { Subnet as SubnetObject } from "../../crds/subnet.ts";
import { SpecError, type Actuator, type Dependency } from "../generic/actuator.ts";
import { cloudName, observeByState, restKind, tagsOnly } from "../rest/resource.ts";
import type { Provider } from "../provider/resolver.ts";
import type { CloudApi, Subnet } from "../rest/cloud-api.ts";
import { findBatched } from "../generic/collection-observer.ts";
import { requireExisting, requireInCatalog } from "../rest/catalog-checks.ts";
import { mismatches, refMismatch } from "./immutable.ts";

export const subnetActuator: Actuator<SubnetObject, Subnet, CloudApi, Provider> = {
  ...restKind("Subnet", (api) => api.network.subnets),
  ...tagsOnly("Subnet", (api) => api.network.subnets),
  dependencies(object): Dependency[] {
    const ref = object.spec.vpcRef;
    return ref ? [{ kind: "VPC", name: ref.name, neededFor: "create", blocksDeletion: true }] : [];
  },
  async create(op) {
    const { spec } = op.object;
    await requireInCatalog(op.client, "zones", "spec.zone", spec.zone, op.signal);
    if (spec.vpcID) {
      await requireExisting(
        (id) => findBatched(op.client.network.vpcs, id, op.signal),
        "spec.vpcID",
        spec.vpcID,
      );
    }
    if (spec.vpcRef) {
      // Checked here too (the cloud refuses it as well) for a message that names both objects.
      const vpcCidr = op.deps.get({ kind: "VPC", name: spec.vpcRef.name })?.atProvider.cidr;
      if (typeof vpcCidr === "string" && !cidrContains(vpcCidr, spec.cidr)) {
        throw new SpecError(
          `cidr ${spec.cidr} is not inside ${vpcCidr}, the range of VPC "${spec.vpcRef.name}"`,
        );
      }
    }
    const vpcId = spec.vpcID ?? op.deps.id({ kind: "VPC", name: spec.vpcRef?.name ?? "" });
    return op.client.network.subnets.create(
      {
        name: cloudName(op.object, op.installation),
        vpc_id: vpcId,
        cidr: spec.cidr,
        zone: spec.zone,
        tags: op.desiredTags,
      },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    );
  },
  immutableMismatches(object, cloud, deps) {
    const { spec } = object;
    const vpcRef = spec.vpcRef;
    return mismatches([
      { field: "cidr", spec: spec.cidr, cloud: cloud.cidr },
      { field: "zone", spec: spec.zone, cloud: cloud.zone },
      { field: "vpcID", spec: spec.vpcID, cloud: cloud.vpc_id },
      refMismatch("vpcRef", vpcRef && { kind: "VPC", name: vpcRef.name }, deps, cloud.vpc_id),
    ]);
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

function ipv4(text: string): number | undefined {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** Whether CIDR `inner` lies inside `outer` (both a.b.c.d/n); unparsable input is left to the cloud. */
export function cidrContains(outer: string, inner: string): boolean {
  const [oAddr = "", oLen = ""] = outer.split("/");
  const [iAddr = "", iLen = ""] = inner.split("/");
  const o = ipv4(oAddr);
  const i = ipv4(iAddr);
  const ol = Number(oLen);
  const il = Number(iLen);
  if (o === undefined || i === undefined || !Number.isInteger(ol) || !Number.isInteger(il)) return true;
  if (il < ol) return false;
  const size = 2 ** (32 - ol);
  return Math.floor(o / size) === Math.floor(i / size);
}

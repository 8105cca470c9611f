import { contains, formatIp, hasHostBits, isPrivate, overlaps, parseCidr, type Cidr } from "../cidr.ts";
import { conflict, inUse, invalidState, unprocessable } from "../errors.ts";
import type { Subnet, Vpc } from "../model.ts";
import { parseBody } from "./context.ts";
import {
  applyCommonPatch,
  checkCreateAllowed,
  checkZone,
  commonFields,
  findOwned,
  findReferenced,
  isoNow,
  type ApiContext,
  type Call,
  type Reply,
} from "./context.ts";
import { listResources } from "./list.ts";

export const VPC_PREFIX_MIN = 16;
export const VPC_PREFIX_MAX = 24;
export const SUBNET_PREFIX_MAX = 28;

function parseCidrField(text: string, field: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) {
    const why = hasHostBits(text) ? "has host bits set" : "is not an IPv4 CIDR like 10.0.0.0/16";
    throw unprocessable(`${field} '${text}' ${why}`, { field });
  }
  return cidr;
}

export function createVpc(ctx: ApiContext, call: Call): Reply {
  const body = parseBody("VpcCreate", call.body);
  checkCreateAllowed(ctx, call, "vpcs", ctx.store.count(call.project, "vpc"));
  const cidr = parseCidrField(body.cidr, "cidr");
  if (cidr.prefix < VPC_PREFIX_MIN || cidr.prefix > VPC_PREFIX_MAX) {
    throw unprocessable(`a VPC's cidr must be /${VPC_PREFIX_MIN} to /${VPC_PREFIX_MAX}`, { field: "cidr" });
  }
  if (!isPrivate(cidr))
    throw unprocessable("a VPC's cidr must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", {
      field: "cidr",
    });
  const vpc: Vpc = {
    ...commonFields(ctx, call, ctx.ids.id("vpc"), "creating", body),
    region: ctx.settings.region,
    cidr: body.cidr,
  };
  ctx.store.put(vpc);
  ctx.lifecycle.begin(vpc.id, "active", ctx.settings.delays.vpc.create, "create");
  ctx.changed();
  return { status: 202, body: vpc, location: `/v1/network/vpcs/${vpc.id}` };
}

export function getVpc(ctx: ApiContext, call: Call): Reply {
  return { status: 200, body: findOwned(ctx, call, "vpc", call.params[0] ?? "") };
}

export function listVpcs(ctx: ApiContext, call: Call): Reply {
  return listResources(ctx, call, "vpc", { cidr: (r, v) => r.cidr === v });
}

export function patchVpc(ctx: ApiContext, call: Call): Reply {
  const vpc = findOwned(ctx, call, "vpc", call.params[0] ?? "");
  const patch = parseBody("ResourcePatch", call.body);
  if (vpc.state === "deleting") throw invalidState("the VPC is being deleted", { state: vpc.state });
  applyCommonPatch(vpc, patch);
  vpc.updated_at = isoNow(ctx);
  ctx.changed();
  return { status: 200, body: vpc };
}

export function deleteVpc(ctx: ApiContext, call: Call): Reply {
  const vpc = findOwned(ctx, call, "vpc", call.params[0] ?? "");
  if (vpc.state === "deleting") return { status: 202, body: vpc };
  const subnetIds = [...ctx.store.list(call.project, "subnet")]
    .filter((s) => s.vpc_id === vpc.id)
    .map((s) => s.id);
  if (subnetIds.length > 0) throw inUse("the VPC still has subnets", { subnet_ids: subnetIds.slice(0, 100) });
  startDeletion(ctx, vpc, ctx.settings.delays.vpc.delete);
  return { status: 202, body: vpc };
}

export function createSubnet(ctx: ApiContext, call: Call): Reply {
  const body = parseBody("SubnetCreate", call.body);
  checkCreateAllowed(ctx, call, "subnets", ctx.store.count(call.project, "subnet"));
  const vpc = findReferenced(ctx, call, "vpc", body.vpc_id, "vpc_id");
  checkZone(ctx, body.zone);
  const cidr = parseCidrField(body.cidr, "cidr");
  const vpcCidr = parseCidr(vpc.cidr) as Cidr;
  if (!contains(vpcCidr, cidr))
    throw unprocessable(`cidr ${body.cidr} is not inside the VPC's ${vpc.cidr}`, { field: "cidr" });
  if (cidr.prefix > SUBNET_PREFIX_MAX)
    throw unprocessable(`a subnet is at most a /${SUBNET_PREFIX_MAX}`, { field: "cidr" });
  if (vpc.state !== "active")
    throw invalidState(`the VPC is ${vpc.state}, not active`, { vpc_id: vpc.id, state: vpc.state });
  for (const other of ctx.store.list(call.project, "subnet")) {
    if (other.vpc_id === vpc.id && overlaps(parseCidr(other.cidr) as Cidr, cidr)) {
      throw conflict(`cidr ${body.cidr} overlaps subnet ${other.id} (${other.cidr})`, {
        conflicting_subnet_id: other.id,
      });
    }
  }
  const subnet: Subnet = {
    ...commonFields(ctx, call, ctx.ids.id("subnet"), "creating", body),
    vpc_id: vpc.id,
    cidr: body.cidr,
    zone: body.zone,
    gateway_ip: formatIp(cidr.base + 1),
  };
  ctx.store.put(subnet);
  ctx.lifecycle.begin(subnet.id, "active", ctx.settings.delays.subnet.create, "create");
  ctx.changed();
  return { status: 202, body: subnet, location: `/v1/network/subnets/${subnet.id}` };
}

export function getSubnet(ctx: ApiContext, call: Call): Reply {
  return { status: 200, body: findOwned(ctx, call, "subnet", call.params[0] ?? "") };
}

export function listSubnets(ctx: ApiContext, call: Call): Reply {
  return listResources(ctx, call, "subnet", {
    vpc_id: (r, v) => r.vpc_id === v,
    zone: (r, v) => r.zone === v,
    cidr: (r, v) => r.cidr === v,
  });
}

export function patchSubnet(ctx: ApiContext, call: Call): Reply {
  const subnet = findOwned(ctx, call, "subnet", call.params[0] ?? "");
  const patch = parseBody("ResourcePatch", call.body);
  if (subnet.state === "deleting") throw invalidState("the subnet is being deleted", { state: subnet.state });
  applyCommonPatch(subnet, patch);
  subnet.updated_at = isoNow(ctx);
  ctx.changed();
  return { status: 200, body: subnet };
}

export function deleteSubnet(ctx: ApiContext, call: Call): Reply {
  const subnet = findOwned(ctx, call, "subnet", call.params[0] ?? "");
  if (subnet.state === "deleting") return { status: 202, body: subnet };
  const serverIds = [...ctx.store.list(call.project, "server")]
    .filter((s) => s.subnet_id === subnet.id)
    .map((s) => s.id);
  if (serverIds.length > 0)
    throw inUse("the subnet still has servers", { server_ids: serverIds.slice(0, 100) });
  startDeletion(ctx, subnet, ctx.settings.delays.subnet.delete);
  return { status: 202, body: subnet };
}

export function startDeletion(
  ctx: ApiContext,
  resource: { id: string; state: string; state_reason: string | null; updated_at: string },
  delayMs: number,
): void {
  resource.state = "deleting";
  resource.state_reason = null;
  resource.updated_at = isoNow(ctx);
  ctx.lifecycle.begin(resource.id, "gone", delayMs, "delete");
  ctx.changed();
}

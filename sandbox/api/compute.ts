import { createHash } from "node:crypto";
import { allocateAddress, formatIp, parseCidr, type Cidr } from "../cidr.ts";
import { flavorByName, imageByName } from "../catalog.ts";
import { conflict, invalidState, unprocessable } from "../errors.ts";
import type { Server, SshKey } from "../model.ts";
import { parsePublicKey } from "../ssh-key.ts";
import {
  DEFAULT_PUBLIC_IPS,
  applyCommonPatch,
  checkCreateAllowed,
  commonFields,
  findOwned,
  findReferenced,
  isoNow,
  parseBody,
  type ApiContext,
  type Call,
  type Reply,
} from "./context.ts";
import { listResources } from "./list.ts";
import { startDeletion } from "./network.ts";

export const DEFAULT_BOOT_VOLUME_GIB = 20;

// Public addresses come from 198.18.0.0/15 (RFC 2544, benchmarking) so they can never be real;
// the pool is its first `settings.publicIps` hosts (all of it by default), shared by all projects.
const PUBLIC_POOL_BASE = (198 << 24) | (18 << 16);

function ensureUniqueKeyName(ctx: ApiContext, call: Call, name: string, except?: string): void {
  for (const key of ctx.store.list(call.project, "ssh_key")) {
    if (key.name === name && key.id !== except) {
      throw conflict(`an SSH key named '${name}' already exists`, { conflicting_id: key.id });
    }
  }
}

export function createSshKey(ctx: ApiContext, call: Call): Reply {
  const body = parseBody("SshKeyCreate", call.body);
  checkCreateAllowed(ctx, call, "ssh_keys", ctx.store.count(call.project, "ssh_key"));
  const parsed = parsePublicKey(body.public_key);
  if (!parsed) {
    throw unprocessable("public_key is not an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)", {
      field: "public_key",
    });
  }
  ensureUniqueKeyName(ctx, call, body.name);
  const key: SshKey = {
    ...commonFields(ctx, call, ctx.ids.id("ssh_key"), "active", body),
    public_key: body.public_key.trim(),
    fingerprint: parsed.fingerprint,
    key_type: parsed.type,
  };
  ctx.store.put(key);
  ctx.changed();
  return { status: 201, body: key, location: `/v1/compute/ssh-keys/${key.id}` };
}

export function getSshKey(ctx: ApiContext, call: Call): Reply {
  return { status: 200, body: findOwned(ctx, call, "ssh_key", call.params[0] ?? "") };
}

export function listSshKeys(ctx: ApiContext, call: Call): Reply {
  return listResources(ctx, call, "ssh_key", { fingerprint: (r, v) => r.fingerprint === v });
}

export function patchSshKey(ctx: ApiContext, call: Call): Reply {
  const key = findOwned(ctx, call, "ssh_key", call.params[0] ?? "");
  const patch = parseBody("ResourcePatch", call.body);
  if (patch.name !== undefined) ensureUniqueKeyName(ctx, call, patch.name, key.id);
  applyCommonPatch(key, patch);
  key.updated_at = isoNow(ctx);
  ctx.changed();
  return { status: 200, body: key };
}

/** SSH keys are synchronous: deleted at once (204). Servers keep the key they booted with. */
export function deleteSshKey(ctx: ApiContext, call: Call): Reply {
  const key = findOwned(ctx, call, "ssh_key", call.params[0] ?? "");
  ctx.store.remove(key.id);
  ctx.changed();
  return { status: 204 };
}

function allocatePublicIp(ctx: ApiContext): string {
  const used = new Set<string>();
  for (const r of ctx.store.all()) {
    const ip = (r as Partial<Server>).addresses?.public_ip;
    if (ip) used.add(ip);
  }
  const size = Math.min(ctx.settings.publicIps, DEFAULT_PUBLIC_IPS);
  for (let i = 1; i <= size; i++) {
    const ip = formatIp((PUBLIC_POOL_BASE + i) >>> 0);
    if (!used.has(ip)) return ip;
  }
  throw conflict("no public IP addresses left in the region", { pool_size: size });
}

export function createServer(ctx: ApiContext, call: Call): Reply {
  const body = parseBody("ServerCreate", call.body);
  checkCreateAllowed(ctx, call, "servers", ctx.store.count(call.project, "server"));
  if (!flavorByName.has(body.flavor))
    throw unprocessable(`unknown flavor '${body.flavor}'`, { field: "flavor" });
  const image = imageByName.get(body.image);
  if (!image) throw unprocessable(`unknown image '${body.image}'`, { field: "image" });
  const bootSize = body.boot_volume_size_gib ?? Math.max(DEFAULT_BOOT_VOLUME_GIB, image.min_disk_gib);
  if (bootSize < image.min_disk_gib) {
    throw unprocessable(`image ${image.name} needs a boot volume of at least ${image.min_disk_gib} GiB`, {
      field: "boot_volume_size_gib",
    });
  }
  const keyIds = [...new Set(body.ssh_key_ids ?? [])];
  for (const [i, keyId] of keyIds.entries()) findReferenced(ctx, call, "ssh_key", keyId, `ssh_key_ids.${i}`);
  const subnet = findReferenced(ctx, call, "subnet", body.subnet_id, "subnet_id");
  if (subnet.state !== "active") {
    throw invalidState(`the subnet is ${subnet.state}, not active`, {
      subnet_id: subnet.id,
      state: subnet.state,
    });
  }
  const usedPrivate = new Set<string>();
  for (const s of ctx.store.list(call.project, "server"))
    if (s.subnet_id === subnet.id) usedPrivate.add(s.addresses.private_ip);
  const privateIp = allocateAddress(parseCidr(subnet.cidr) as Cidr, usedPrivate);
  if (!privateIp) throw conflict(`subnet ${subnet.id} has no free addresses`, { subnet_id: subnet.id });
  const publicIp = body.public_ip === true ? allocatePublicIp(ctx) : null;
  const server: Server = {
    ...commonFields(ctx, call, ctx.ids.id("server"), "building", body),
    flavor: body.flavor,
    image: body.image,
    subnet_id: subnet.id,
    vpc_id: subnet.vpc_id,
    zone: subnet.zone,
    ssh_key_ids: keyIds,
    boot_volume_size_gib: bootSize,
    user_data_sha256:
      body.user_data === undefined ? null : createHash("sha256").update(body.user_data).digest("hex"),
    addresses: { private_ip: privateIp, public_ip: publicIp },
    volume_ids: [],
  };
  ctx.store.put(server);
  ctx.lifecycle.begin(server.id, "active", ctx.settings.delays.server.create, "create");
  ctx.changed();
  return { status: 202, body: server, location: `/v1/compute/servers/${server.id}` };
}

export function getServer(ctx: ApiContext, call: Call): Reply {
  return { status: 200, body: findOwned(ctx, call, "server", call.params[0] ?? "") };
}

export function listServers(ctx: ApiContext, call: Call): Reply {
  return listResources(ctx, call, "server", {
    subnet_id: (r, v) => r.subnet_id === v,
    vpc_id: (r, v) => r.vpc_id === v,
    zone: (r, v) => r.zone === v,
    flavor: (r, v) => r.flavor === v,
  });
}

export function patchServer(ctx: ApiContext, call: Call): Reply {
  const server = findOwned(ctx, call, "server", call.params[0] ?? "");
  const patch = parseBody("ResourcePatch", call.body);
  if (server.state === "deleting") throw invalidState("the server is being deleted", { state: server.state });
  applyCommonPatch(server, patch);
  server.updated_at = isoNow(ctx);
  ctx.changed();
  return { status: 200, body: server };
}

export function deleteServer(ctx: ApiContext, call: Call): Reply {
  const server = findOwned(ctx, call, "server", call.params[0] ?? "");
  if (server.state !== "deleting") startDeletion(ctx, server, ctx.settings.delays.server.delete);
  return { status: 202, body: server };
}

/**
 * start (stopped -> starting -> active), stop (active -> stopping -> stopped), reboot
 * (active -> rebooting -> active), resize: within a family from active or stopped (through
 * `resizing`, which includes the reboot, back to the same power state); across families only
 * from stopped (-> resizing -> stopped). Anything else is 409 invalid_state.
 */
export function serverAction(ctx: ApiContext, call: Call): Reply {
  const server = findOwned(ctx, call, "server", call.params[0] ?? "");
  const action = parseBody("ServerAction", call.body);
  const delay = ctx.settings.delays.server.action;
  const refuse = (allowed: string[]): never => {
    throw invalidState(`cannot ${action.type} a server that is ${server.state}`, {
      state: server.state,
      allowed_states: allowed,
    });
  };
  let transitional: Server["state"];
  let target: Server["state"];
  switch (action.type) {
    case "start":
      if (server.state !== "stopped") refuse(["stopped"]);
      [transitional, target] = ["starting", "active"];
      break;
    case "stop":
      if (server.state !== "active") refuse(["active"]);
      [transitional, target] = ["stopping", "stopped"];
      break;
    case "reboot":
      if (server.state !== "active") refuse(["active"]);
      [transitional, target] = ["rebooting", "active"];
      break;
    case "resize": {
      const next = flavorByName.get(action.flavor);
      if (!next) throw unprocessable(`unknown flavor '${action.flavor}'`, { field: "flavor" });
      if (next.name === server.flavor)
        throw unprocessable(`the server already has flavor ${next.name}`, { field: "flavor" });
      const current = flavorByName.get(server.flavor);
      const sameFamily = current?.family === next.family;
      if (sameFamily && server.state !== "active" && server.state !== "stopped")
        refuse(["active", "stopped"]);
      if (!sameFamily && server.state !== "stopped") {
        throw invalidState("resizing to another flavor family needs the server stopped first", {
          state: server.state,
          allowed_states: ["stopped"],
          from_family: current?.family ?? null,
          to_family: next.family,
        });
      }
      target = server.state;
      transitional = "resizing";
      server.flavor = next.name;
      break;
    }
  }
  server.state = transitional;
  server.state_reason = null;
  server.updated_at = isoNow(ctx);
  ctx.lifecycle.begin(server.id, target, delay, action.type);
  ctx.changed();
  return { status: 202, body: server };
}

import { conflict, inUse, invalidState, unprocessable } from "../errors.ts";
import type { Volume } from "../model.ts";
import {
  applyCommonPatch,
  checkCreateAllowed,
  checkZone,
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

export const MAX_VOLUMES_PER_SERVER = 16;
export const DEFAULT_PIOPS = 3000;
/** Provisioned IOPS may be at most this many per GiB. */
export const MAX_IOPS_PER_GIB = 500;

/** NVMe volumes get a baseline that grows with size (3,000 minimum, 20,000 maximum). */
export function nvmeBaselineIops(sizeGib: number): number {
  return Math.min(20000, Math.max(3000, sizeGib * 10));
}

function checkIops(type: Volume["type"], iops: number | undefined, sizeGib: number): number {
  if (type === "nvme") {
    if (iops !== undefined) throw unprocessable("iops can be set only on piops volumes", { field: "iops" });
    return nvmeBaselineIops(sizeGib);
  }
  const value = iops ?? DEFAULT_PIOPS;
  if (value > sizeGib * MAX_IOPS_PER_GIB) {
    throw unprocessable(
      `at most ${MAX_IOPS_PER_GIB} IOPS per GiB (${sizeGib * MAX_IOPS_PER_GIB} for ${sizeGib} GiB)`,
      {
        field: "iops",
      },
    );
  }
  return value;
}

export function createVolume(ctx: ApiContext, call: Call): Reply {
  const body = parseBody("VolumeCreate", call.body);
  checkCreateAllowed(ctx, call, "volumes", ctx.store.count(call.project, "volume"));
  checkZone(ctx, body.zone);
  const type = body.type ?? "nvme";
  const iops = checkIops(type, body.iops, body.size_gib);
  const volume: Volume = {
    ...commonFields(ctx, call, ctx.ids.id("volume"), "creating", body),
    size_gib: body.size_gib,
    type,
    iops,
    zone: body.zone,
    server_id: null,
  };
  ctx.store.put(volume);
  ctx.lifecycle.begin(volume.id, "available", ctx.settings.delays.volume.create, "create");
  ctx.changed();
  return { status: 202, body: volume, location: `/v1/storage/volumes/${volume.id}` };
}

export function getVolume(ctx: ApiContext, call: Call): Reply {
  return { status: 200, body: findOwned(ctx, call, "volume", call.params[0] ?? "") };
}

export function listVolumes(ctx: ApiContext, call: Call): Reply {
  return listResources(ctx, call, "volume", {
    server_id: (r, v) => r.server_id === v,
    zone: (r, v) => r.zone === v,
    type: (r, v) => r.type === v,
  });
}

/**
 * name/description/tags change at once (200). A larger `size_gib` grows the volume online:
 * `resizing`, then back to its state (202). Shrinking is refused. `iops` applies to piops only.
 */
export function patchVolume(ctx: ApiContext, call: Call): Reply {
  const volume = findOwned(ctx, call, "volume", call.params[0] ?? "");
  const patch = parseBody("VolumePatch", call.body);
  if (volume.state === "deleting") throw invalidState("the volume is being deleted", { state: volume.state });
  const grow = patch.size_gib !== undefined && patch.size_gib !== volume.size_gib;
  if (patch.size_gib !== undefined && patch.size_gib < volume.size_gib) {
    throw unprocessable(`volumes cannot shrink (${volume.size_gib} GiB -> ${patch.size_gib} GiB)`, {
      field: "size_gib",
    });
  }
  const newSize = patch.size_gib ?? volume.size_gib;
  if (patch.iops !== undefined || grow) {
    if (patch.iops !== undefined && volume.type !== "piops") {
      throw unprocessable("iops can be set only on piops volumes", { field: "iops" });
    }
  }
  if (grow && volume.state !== "available" && volume.state !== "in_use") {
    throw invalidState(`cannot grow a volume that is ${volume.state}`, {
      state: volume.state,
      allowed_states: ["available", "in_use"],
    });
  }
  const iops =
    volume.type === "piops"
      ? checkIops("piops", patch.iops ?? volume.iops, newSize)
      : nvmeBaselineIops(newSize);
  applyCommonPatch(volume, patch);
  volume.iops = iops;
  volume.updated_at = isoNow(ctx);
  if (grow) {
    const back = volume.state;
    volume.size_gib = newSize;
    volume.state = "resizing";
    ctx.lifecycle.begin(volume.id, back, ctx.settings.delays.volume.action, "grow");
  }
  ctx.changed();
  return { status: grow ? 202 : 200, body: volume };
}

export function deleteVolume(ctx: ApiContext, call: Call): Reply {
  const volume = findOwned(ctx, call, "volume", call.params[0] ?? "");
  if (volume.state === "deleting") return { status: 202, body: volume };
  if (volume.server_id !== null) {
    throw inUse(`the volume is attached to server ${volume.server_id}; detach it first`, {
      server_id: volume.server_id,
    });
  }
  startDeletion(ctx, volume, ctx.settings.delays.volume.delete);
  return { status: 202, body: volume };
}

export function attachVolume(ctx: ApiContext, call: Call): Reply {
  const volume = findOwned(ctx, call, "volume", call.params[0] ?? "");
  const { server_id: serverId } = parseBody("VolumeAttachment", call.body);
  const server = findReferenced(ctx, call, "server", serverId, "server_id");
  if (volume.server_id === server.id) {
    throw invalidState(`the volume is already attached to server ${server.id}`, {
      state: volume.state,
      server_id: server.id,
    });
  }
  if (volume.state !== "available") {
    throw invalidState(`cannot attach a volume that is ${volume.state}`, {
      state: volume.state,
      allowed_states: ["available"],
    });
  }
  if (server.state !== "active" && server.state !== "stopped") {
    throw invalidState(`cannot attach to a server that is ${server.state}`, {
      server_state: server.state,
      allowed_states: ["active", "stopped"],
    });
  }
  if (server.zone !== volume.zone) {
    throw unprocessable(`the volume is in ${volume.zone} but the server is in ${server.zone}`, {
      field: "server_id",
    });
  }
  if (server.volume_ids.length >= MAX_VOLUMES_PER_SERVER) {
    throw conflict(`a server can have at most ${MAX_VOLUMES_PER_SERVER} volumes`, {
      limit: MAX_VOLUMES_PER_SERVER,
    });
  }
  const now = isoNow(ctx);
  server.volume_ids.push(volume.id);
  server.updated_at = now;
  volume.server_id = server.id;
  volume.state = "attaching";
  volume.updated_at = now;
  ctx.lifecycle.begin(volume.id, "in_use", ctx.settings.delays.volume.action, "attach");
  ctx.changed();
  return { status: 202, body: volume };
}

export function detachVolume(ctx: ApiContext, call: Call): Reply {
  const volume = findOwned(ctx, call, "volume", call.params[0] ?? "");
  const { server_id: serverId } = parseBody("VolumeAttachment", call.body);
  const server = findReferenced(ctx, call, "server", serverId, "server_id");
  if (volume.state !== "in_use" && !(volume.state === "error" && volume.server_id !== null)) {
    throw invalidState(`cannot detach a volume that is ${volume.state}`, {
      state: volume.state,
      allowed_states: ["in_use"],
    });
  }
  if (volume.server_id !== server.id) {
    throw invalidState(`the volume is attached to ${volume.server_id ?? "nothing"}, not ${server.id}`, {
      state: volume.state,
      server_id: volume.server_id,
    });
  }
  const now = isoNow(ctx);
  server.volume_ids = server.volume_ids.filter((id) => id !== volume.id);
  server.updated_at = now;
  volume.state = "detaching";
  volume.updated_at = now;
  ctx.lifecycle.begin(volume.id, "available", ctx.settings.delays.volume.action, "detach", "finish_detach");
  ctx.changed();
  return { status: 202, body: volume };
}

// VM: flavor (resize), power state, attached volumes and tags follow the spec; everything else is
// fixed at creation. A multi-step change (stop, resize, start) advances one step per reconcile,
// each step observed before the next, so a crash in the middle resumes where it stopped.
import { createHash } from "node:crypto";
import type { VM } from "../../crds/vm.ts";
import { desiredTags } from "../generic/ownership.ts";
import {
  SpecError,
  type Actuator,
  type Change,
  type Dependency,
  type Mismatch,
  type Operation,
  type Resolved,
} from "../generic/actuator.ts";
import { cloudName, observeByState, restKind, sameTags } from "../rest/resource.ts";
import type { Provider } from "../provider/resolver.ts";
import type { CloudApi, Server } from "../rest/cloud-api.ts";
import { findBatched } from "../generic/collection-observer.ts";
import { requireExisting, requireInCatalog } from "../rest/catalog-checks.ts";
import { mismatches, refMismatch } from "./immutable.ts";

const TRANSITIONAL = ["building", "starting", "stopping", "rebooting", "resizing", "deleting"];

function family(flavor: string): string {
  return flavor.split("-")[0] ?? "";
}

/** Desired attachments: the IDs of Ready volumes listed, and every listed volume's known ID. */
function volumePlan(object: VM, deps: Resolved): { attach: string[]; listedIds: Set<string> } {
  const attach: string[] = [];
  const listedIds = new Set<string>();
  for (const ref of object.spec.volumeRefs ?? []) {
    const dep = deps.get({ kind: "Volume", name: ref.name });
    if (dep?.id) listedIds.add(dep.id);
    if (dep?.ready && dep.id) attach.push(dep.id);
  }
  return { attach, listedIds };
}

async function userData(op: Operation<VM, CloudApi>): Promise<string | undefined> {
  const { spec, metadata } = op.object;
  if (spec.userData !== undefined) return spec.userData;
  const ref = spec.userDataSecretRef;
  if (!ref) return undefined;
  const value = await op.secrets.read(metadata.namespace ?? "", ref.name, ref.key);
  if (value === undefined) {
    throw new SpecError(
      `userDataSecretRef: Secret "${ref.name}" has no key "${ref.key}" (or does not exist)`,
    );
  }
  return value;
}

/**
 * The SSH keys the spec installs against those the VM has: a key the spec names (by ID, or by a
 * reference whose ID is known) must be installed, and once every reference is known the VM must
 * have no others. Fields as the spec names them; values are key IDs.
 */
function sshKeyMismatch(object: VM, cloud: Server, deps: Resolved): Mismatch | undefined {
  const { sshKeyRefs = [], sshKeyIDs = [] } = object.spec;
  if (sshKeyRefs.length === 0 && sshKeyIDs.length === 0) return undefined;
  const refIds = sshKeyRefs.map((r) => deps.get({ kind: "SSHKey", name: r.name })?.id);
  const known = [...new Set([...refIds.filter((id) => id !== undefined), ...sshKeyIDs])].sort();
  const installed = [...new Set(cloud.ssh_key_ids)].sort();
  const missing = known.some((id) => !installed.includes(id));
  const extra = refIds.every((id) => id !== undefined) && installed.some((id) => !known.includes(id));
  if (!missing && !extra) return undefined;
  const field = [sshKeyRefs.length > 0 ? "sshKeyRefs" : "", sshKeyIDs.length > 0 ? "sshKeyIDs" : ""]
    .filter(Boolean)
    .join(" and ");
  return { field, spec: known, cloud: installed };
}

export const vmActuator: Actuator<VM, Server, CloudApi, Provider> = {
  ...restKind("VM", (api) => api.compute.servers),
  dependencies(object): Dependency[] {
    const { spec } = object;
    return [
      ...(spec.subnetRef
        ? [
            {
              kind: "Subnet" as const,
              name: spec.subnetRef.name,
              neededFor: "create" as const,
              blocksDeletion: true,
            },
          ]
        : []),
      ...(spec.sshKeyRefs ?? []).map((r) => ({
        kind: "SSHKey" as const,
        name: r.name,
        neededFor: "create" as const,
        blocksDeletion: false,
      })),
      ...(spec.volumeRefs ?? []).map((r) => ({
        kind: "Volume" as const,
        name: r.name,
        neededFor: "always" as const,
        blocksDeletion: true,
      })),
    ];
  },
  async create(op) {
    const { spec } = op.object;
    await requireInCatalog(op.client, "flavors", "spec.flavor", spec.flavor, op.signal);
    await requireInCatalog(op.client, "images", "spec.image", spec.image, op.signal);
    if (spec.subnetID) {
      const subnetID = spec.subnetID;
      await requireExisting(
        (id) => findBatched(op.client.network.subnets, id, op.signal),
        "spec.subnetID",
        subnetID,
      );
    }
    await Promise.all(
      (spec.sshKeyIDs ?? []).map((keyID, i) =>
        requireExisting(
          (id) => findBatched(op.client.compute.sshKeys, id, op.signal),
          `spec.sshKeyIDs[${i}]`,
          keyID,
        ),
      ),
    );
    const subnetId = spec.subnetID ?? op.deps.id({ kind: "Subnet", name: spec.subnetRef?.name ?? "" });
    const sshKeyIds = [
      ...(spec.sshKeyRefs ?? []).map((r) => op.deps.id({ kind: "SSHKey", name: r.name })),
      ...(spec.sshKeyIDs ?? []),
    ];
    const data = await userData(op);
    return op.client.compute.servers.create(
      {
        name: cloudName(op.object, op.installation),
        flavor: spec.flavor,
        image: spec.image,
        subnet_id: subnetId,
        ...(sshKeyIds.length > 0 ? { ssh_key_ids: sshKeyIds } : {}),
        boot_volume_size_gib: spec.bootVolumeSizeGiB,
        ...(data !== undefined ? { user_data: data } : {}),
        public_ip: spec.publicIP,
        tags: op.desiredTags,
      },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    );
  },
  diff(object, cloud, deps, ownership) {
    const { spec } = object;
    const changes: Change[] = [];
    const tags = desiredTags(object, ownership);
    if (!sameTags(tags, cloud.tags)) changes.push({ field: "tags", from: cloud.tags, to: tags });
    if (spec.flavor !== cloud.flavor) changes.push({ field: "flavor", from: cloud.flavor, to: spec.flavor });
    const running = cloud.state === "active";
    if ((spec.powerState === "Running") !== running) {
      changes.push({ field: "powerState", from: running ? "Running" : "Stopped", to: spec.powerState });
    }
    const { attach, listedIds } = volumePlan(object, deps);
    const toAttach = attach.filter((id) => !cloud.volume_ids.includes(id));
    const toDetach = cloud.volume_ids.filter((id) => !listedIds.has(id));
    if (toAttach.length > 0 || toDetach.length > 0) {
      changes.push({ field: "volumes", from: cloud.volume_ids, to: { attach: toAttach, detach: toDetach } });
    }
    return changes;
  },
  // flavor, powerState and volumes are mutable (diff); userDataSecretRef is not compared (the
  // Secret is read at creation only) and an inline userData only by its SHA-256.
  immutableMismatches(object, cloud, deps) {
    const { spec } = object;
    const cloudUserData = cloud.user_data_sha256;
    return mismatches([
      { field: "image", spec: spec.image, cloud: cloud.image },
      { field: "subnetID", spec: spec.subnetID, cloud: cloud.subnet_id },
      refMismatch(
        "subnetRef",
        spec.subnetRef && { kind: "Subnet", name: spec.subnetRef.name },
        deps,
        cloud.subnet_id,
      ),
      sshKeyMismatch(object, cloud, deps),
      { field: "bootVolumeSizeGiB", spec: spec.bootVolumeSizeGiB, cloud: cloud.boot_volume_size_gib },
      { field: "publicIP", spec: spec.publicIP, cloud: Boolean(cloud.addresses.public_ip) },
      {
        field: "userData",
        spec:
          spec.userData === undefined
            ? undefined
            : `sha256 ${createHash("sha256").update(spec.userData).digest("hex")}`,
        cloud:
          typeof cloudUserData === "string"
            ? `sha256 ${cloudUserData}`
            : cloudUserData === null
              ? "none"
              : undefined,
      },
    ]);
  },
  async update(op, cloud, changes) {
    const { spec, metadata } = op.object;
    const servers = op.client.compute.servers;
    const opts = { signal: op.signal };
    const has = (field: string) => changes.some((c) => c.field === field);
    if (has("tags")) {
      await servers.update(cloud.id, { tags: op.desiredTags }, opts);
      if (changes.length === 1) return "done";
    }
    // One power or size action per reconcile; the key makes a repeated POST harmless.
    const actionKey = (what: string) => `${metadata.uid ?? ""}/${what}/${cloud.updated_at ?? cloud.state}`;
    if (has("flavor")) {
      await requireInCatalog(op.client, "flavors", "spec.flavor", spec.flavor, op.signal);
      const crossFamily = family(spec.flavor) !== family(cloud.flavor);
      if (crossFamily && cloud.state === "active") {
        if (!spec.allowDisruption && spec.powerState !== "Stopped") {
          throw new SpecError(
            `changing flavor from ${cloud.flavor} to ${spec.flavor} crosses families and needs the VM stopped: set allowDisruption: true (or powerState: Stopped)`,
          );
        }
        await servers.action(cloud.id, { type: "stop" }, { ...opts, idempotencyKey: actionKey("stop") });
        return "progress";
      }
      await servers.action(
        cloud.id,
        { type: "resize", flavor: spec.flavor },
        { ...opts, idempotencyKey: actionKey(`resize-${spec.flavor}`) },
      );
      return "progress";
    }
    if (has("powerState")) {
      const type = spec.powerState === "Running" ? "start" : "stop";
      await servers.action(cloud.id, { type }, { ...opts, idempotencyKey: actionKey(type) });
      return "progress";
    }
    if (has("volumes")) {
      const volumes = op.client.storage.volumes;
      const { attach, listedIds } = volumePlan(op.object, op.deps);
      for (const id of cloud.volume_ids.filter((v) => !listedIds.has(v)))
        await volumes.detach(id, cloud.id, opts);
      for (const id of attach.filter((v) => !cloud.volume_ids.includes(v)))
        await volumes.attach(id, cloud.id, opts);
      return "progress";
    }
    return "done";
  },
  async remove(op, cloud) {
    await op.client.compute.servers.delete(cloud.id, { signal: op.signal });
  },
  observe(cloud, object, deps) {
    const observation = observeByState(
      cloud,
      { ready: ["active", "stopped"], transitional: TRANSITIONAL },
      {
        name: cloud.name,
        flavor: cloud.flavor,
        image: cloud.image,
        zone: cloud.zone,
        subnetID: cloud.subnet_id,
        vpcID: cloud.vpc_id,
        bootVolumeSizeGiB: cloud.boot_volume_size_gib,
        userDataSHA256: typeof cloud.user_data_sha256 === "string" ? cloud.user_data_sha256 : undefined,
        sshKeyIDs: cloud.ssh_key_ids.length > 0 ? cloud.ssh_key_ids : undefined,
        privateIP: cloud.addresses.private_ip ?? undefined,
        publicIP: cloud.addresses.public_ip ?? undefined,
        volumeIDs: cloud.volume_ids.length > 0 ? cloud.volume_ids : undefined,
      },
    );
    // Stopped is only a settled state when the spec asks for it (else the diff starts it).
    if (cloud.state === "stopped" && object.spec.powerState !== "Stopped") observation.ready = false;
    // An attachment counts once the volume itself reports it in use by this VM (the server lists
    // it from the moment the attach starts), so Ready does not come and go while it attaches.
    const attaching = (object.spec.volumeRefs ?? [])
      .map((ref) => deps.get({ kind: "Volume", name: ref.name }))
      .filter((dep) => dep?.id !== undefined && cloud.volume_ids.includes(dep.id))
      .filter((dep) => dep?.state !== "in_use" || dep.atProvider.serverID !== cloud.id);
    if (observation.ready && attaching.length > 0) {
      observation.transitional = true;
      observation.progress = `attaching Volume ${attaching.map((d) => d?.ref.name ?? "").join(", ")}`;
    }
    return observation;
  },
};

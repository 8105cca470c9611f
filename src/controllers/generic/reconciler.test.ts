import { afterEach, describe, expect, it, vi } from "vitest";
import type { Server, Subnet, Volume, Vpc } from "../rest/cloud-api.ts";
import { INSTALLATION_TAG, KIND_TAG, NAME_TAG, OWNER_TAG } from "./ownership.ts";
import { type ManagedKind, type ManagedObject } from "./actuator.ts";
import { CREATE_PENDING_ANNOTATION, FINALIZER } from "./reconciler.ts";
import { Harness, TEST_INSTALLATION } from "../testing/harness.ts";

const vpcSpec = { cidr: "10.0.0.0/16", tags: { team: "web" } };
const subnetSpec = { vpcRef: { name: "net" }, cidr: "10.0.1.0/24", zone: "bd-dha-1a" };
const vmSpec = {
  flavor: "std-2x8",
  image: "ubuntu-24.04",
  subnetRef: { name: "web" },
  bootVolumeSizeGiB: 20,
  publicIP: false,
  powerState: "Running",
  allowDisruption: false,
};

async function readyVpc(h: Harness): Promise<Vpc> {
  h.kube.apply("VPC", "net", vpcSpec);
  await h.converge([["VPC", "net"]], 3);
  const id = h.kube.object("VPC", "net")?.status?.id ?? "";
  return h.cloud.get<Vpc>(id) as Vpc;
}

/** Converges with the collection observer in play: each round, time for its lists (5 ms polls). */
async function convergeWatched(
  h: Harness,
  objects: Array<[ManagedKind, string]>,
  rounds = 10,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const [kind, name] of objects) await h.reconcile(kind, name);
    h.cloud.settle();
    await new Promise((r) => setTimeout(r, 20));
    h.nowMs += 1_000;
  }
}

async function readyVm(h: Harness, extra: Record<string, unknown> = {}): Promise<Server> {
  h.kube.apply("VPC", "net", vpcSpec);
  h.kube.apply("Subnet", "web", subnetSpec);
  h.kube.apply("VM", "app", { ...vmSpec, ...extra });
  await h.converge(h.kube.all(), 8);
  expect(h.kube.condition("VM", "app", "Ready")?.status).toBe("True");
  return h.cloud.get<Server>(h.kube.object("VM", "app")?.status?.id ?? "") as Server;
}

describe("create, observe, converge", () => {
  it("adds the finalizer before creating, creates once with the UID as idempotency key and ownership tags", async () => {
    const h = new Harness();
    const obj = h.kube.apply("VPC", "net", vpcSpec);
    await h.reconcile("VPC", "net");
    const after = h.kube.object("VPC", "net");
    expect(after?.metadata.finalizers).toEqual([FINALIZER]);
    expect(h.cloud.count("vpc.create")).toBe(1);
    const [vpc] = h.cloud.list<Vpc>("vpc_");
    expect(vpc?.tags).toEqual({
      team: "web",
      [OWNER_TAG]: obj.metadata.uid,
      [INSTALLATION_TAG]: TEST_INSTALLATION,
      [KIND_TAG]: "VPC",
      [NAME_TAG]: "default/net",
    });
    expect(vpc?.name).toMatch(/^default-net-[0-9a-f]{10}$/);
    expect(after?.status?.id).toBe(vpc?.id);
    expect(after?.metadata.annotations?.[CREATE_PENDING_ANNOTATION]).toBeUndefined();
    expect(h.kube.condition("VPC", "net", "Ready")).toMatchObject({
      status: "False",
      reason: "Provisioning",
    });
    expect(h.kube.condition("VPC", "net", "Reconciling")?.status).toBe("True");
    expect(h.kube.reasons()).toContain("Created");
  });

  it("converges to Ready with kstatus conditions, observedGeneration and atProvider", async () => {
    const h = new Harness();
    await readyVpc(h);
    const o = h.kube.object("VPC", "net");
    expect(o?.status?.state).toBe("active");
    expect(o?.status?.observedGeneration).toBe(1);
    const cloudName = h.cloud.list<Vpc>("vpc_")[0]?.name;
    expect(cloudName).toMatch(/^default-net-[0-9a-f]{10}$/);
    expect(o?.status?.atProvider).toEqual({ name: cloudName, cidr: "10.0.0.0/16" });
    expect(o?.status?.lastSyncTime).toBeDefined();
    const byType = Object.fromEntries((o?.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(byType).toEqual({ Ready: "True", Synced: "True", Reconciling: "False", Stalled: "False" });
  });

  it("makes no cloud call and no status write for an unchanged converged object until the resync", async () => {
    const h = new Harness({ resyncMs: 600_000 });
    await readyVpc(h);
    const calls = h.cloud.calls.length;
    const writes = h.kube.statusWrites + h.kube.metadataWrites;
    for (let i = 0; i < 5; i++) {
      const requeue = await h.reconcile("VPC", "net");
      expect(requeue?.requeueAfterMs).toBeGreaterThan(0);
      h.nowMs += 10_000;
    }
    expect(h.cloud.calls.length).toBe(calls);
    expect(h.kube.statusWrites + h.kube.metadataWrites).toBe(writes);
    h.nowMs += 700_000; // past the jittered resync
    await h.reconcile("VPC", "net");
    expect(h.cloud.calls.slice(calls)).toEqual(["vpc.get"]);
    expect(h.kube.statusWrites + h.kube.metadataWrites).toBe(writes);
    // Hours later, a resync that finds nothing new still writes nothing (lastSyncTime included).
    h.nowMs += 3 * 3_600_000;
    await h.reconcile("VPC", "net");
    expect(h.cloud.calls.slice(calls)).toEqual(["vpc.get", "vpc.get"]);
    expect(h.kube.statusWrites + h.kube.metadataWrites).toBe(writes);
  });

  it("jitters the resync and honours spec.resyncPeriod", async () => {
    const h = new Harness({ resyncMs: 600_000, resyncJitter: 0.1 });
    h.kube.apply("VPC", "net", { ...vpcSpec, resyncPeriod: "2m" });
    await h.converge([["VPC", "net"]], 3);
    h.nowMs += 200_000;
    const requeue = await h.reconcile("VPC", "net");
    // random() = 0.5 in the harness: 2m * (1 + 0.1 * 0.5)
    expect(requeue?.requeueAfterMs).toBe(126_000);
  });

  it("a fresh object asks the shared identity list once (a rebuilt cluster may own it), then creates", async () => {
    const h = new Harness();
    h.kube.apply("VPC", "net", vpcSpec);
    h.kube.apply("VPC", "net2", vpcSpec);
    await h.reconcile("VPC", "net");
    await h.reconcile("VPC", "net2");
    expect(h.cloud.calls).toEqual(["vpc.list", "vpc.create", "vpc.create"]);
  });

  it("adopts its own orphan after a crash between create and status write instead of creating twice", async () => {
    const h = new Harness();
    h.kube.apply("VPC", "net", vpcSpec);
    const writeStatus = h.kube.writeStatus.bind(h.kube);
    h.kube.writeStatus = async () => {
      throw new Error("connection reset (simulated crash)");
    };
    await expect(h.reconcile("VPC", "net")).rejects.toThrow("simulated crash");
    expect(h.cloud.count("vpc.create")).toBe(1);
    expect(h.kube.object("VPC", "net")?.status?.id).toBeUndefined();
    expect(h.kube.object("VPC", "net")?.metadata.annotations?.[CREATE_PENDING_ANNOTATION]).toBeDefined();
    h.kube.writeStatus = writeStatus;
    await h.converge([["VPC", "net"]], 3);
    expect(h.cloud.count("vpc.create")).toBe(1);
    expect(h.cloud.list("vpc_")).toHaveLength(1);
    expect(h.kube.reasons()).toContain("Adopted");
    expect(h.kube.condition("VPC", "net", "Ready")?.status).toBe("True");
  });

  it("never reports a diff for a converged object of any kind (no update loops)", async () => {
    const h = new Harness();
    h.kube.apply("Volume", "data", { sizeGiB: 50, type: "nvme", zone: "bd-dha-1a" });
    h.kube.apply("SSHKey", "me", {
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA me",
    });
    await readyVm(h, { volumeRefs: [{ name: "data" }], sshKeyRefs: [{ name: "me" }] });
    await h.converge(
      [
        ["Volume", "data"],
        ["SSHKey", "me"],
        ["VM", "app"],
      ],
      4,
    );
    const updates = ["vpc.update", "subnet.update", "sshkey.update", "server.update", "volume.update"].map(
      (op) => h.cloud.count(op),
    );
    h.nowMs += 24 * 3600_000;
    await h.converge(
      [
        ["VPC", "net"],
        ["Subnet", "web"],
        ["SSHKey", "me"],
        ["Volume", "data"],
        ["VM", "app"],
      ],
      2,
    );
    expect(
      ["vpc.update", "subnet.update", "sshkey.update", "server.update", "volume.update"].map((op) =>
        h.cloud.count(op),
      ),
    ).toEqual(updates);
    expect(
      h.cloud.count("server.stop") + h.cloud.count("server.start") + h.cloud.count("server.resize"),
    ).toBe(0);
    expect(h.cloud.count("volume.attach")).toBe(1);
    for (const kind of ["VPC", "Subnet", "SSHKey", "Volume", "VM"] as const) {
      const name = { VPC: "net", Subnet: "web", SSHKey: "me", Volume: "data", VM: "app" }[kind];
      expect(h.kube.condition(kind, name, "Ready")?.status, kind).toBe("True");
    }
  });
});

describe("policies", () => {
  it("deletionPolicy Orphan keeps the cloud resource and removes the finalizer", async () => {
    const h = new Harness();
    h.kube.apply("VPC", "net", { ...vpcSpec, deletionPolicy: "Orphan" });
    await h.converge([["VPC", "net"]], 3);
    h.kube.delete("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.kube.object("VPC", "net")).toBeUndefined();
    expect(h.cloud.list("vpc_")).toHaveLength(1);
    expect(h.cloud.count("vpc.delete")).toBe(0);
    expect(h.kube.reasons()).toContain("Orphaned");
  });

  it("deletionPolicy Delete deletes the cloud resource, waits until it is gone, then releases the object", async () => {
    const h = new Harness();
    await readyVpc(h);
    h.kube.delete("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.cloud.count("vpc.delete")).toBe(1);
    expect(h.kube.object("VPC", "net")).toBeDefined();
    expect(h.kube.condition("VPC", "net", "Ready")).toMatchObject({ status: "False", reason: "Deleting" });
    h.cloud.settle();
    await h.reconcile("VPC", "net");
    expect(h.kube.object("VPC", "net")).toBeUndefined();
    expect(h.cloud.list("vpc_")).toHaveLength(0);
    expect(h.kube.reasons()).toEqual(expect.arrayContaining(["DeleteRequested", "Deleted"]));
  });

  it("ObserveOnly never writes to the cloud, reports what exists and keeps it on deletion", async () => {
    const h = new Harness();
    const existing = await readyVpc(h);
    h.cloud.mutate(existing.id, (r) => (r.tags = { someone: "else" }));
    const writesBefore = h.cloud.calls.filter((c) => !c.endsWith(".get") && !c.endsWith(".list")).length;
    h.kube.apply("VPC", "watched", {
      cidr: "10.0.0.0/16",
      managementPolicy: "ObserveOnly",
      importID: existing.id,
    });
    await h.converge([["VPC", "watched"]], 3);
    const o = h.kube.object("VPC", "watched");
    expect(o?.status?.id).toBe(existing.id);
    expect(o?.metadata.finalizers ?? []).toEqual([]);
    expect(h.kube.condition("VPC", "watched", "Ready")?.status).toBe("True");
    h.kube.delete("VPC", "watched");
    await h.reconcile("VPC", "watched");
    expect(h.kube.object("VPC", "watched")).toBeUndefined();
    expect(h.cloud.calls.filter((c) => !c.endsWith(".get") && !c.endsWith(".list")).length).toBe(
      writesBefore,
    );
    expect(h.cloud.get(existing.id)).toBeDefined();
  });

  it("ObserveOnly reports a missing resource as NotFound without recreating it", async () => {
    const h = new Harness();
    const existing = await readyVpc(h);
    h.kube.apply("VPC", "watched", {
      cidr: "10.0.0.0/16",
      managementPolicy: "ObserveOnly",
      importID: existing.id,
    });
    await h.converge([["VPC", "watched"]], 2);
    h.cloud.deleteOutOfBand(existing.id);
    h.nowMs += 3600_000;
    await h.reconcile("VPC", "watched");
    expect(h.kube.condition("VPC", "watched", "Ready")).toMatchObject({
      status: "False",
      reason: "NotFound",
    });
    expect(h.kube.condition("VPC", "watched", "Stalled")?.status).toBe("True");
    expect(h.cloud.count("vpc.create")).toBe(1);
  });

  it("importID adopts an existing resource, takes ownership of its tags and deletes it with the object", async () => {
    const h = new Harness();
    const existing = await h.cloud.network.vpcs.create(
      { name: "made-elsewhere", cidr: "10.0.0.0/16", tags: { by: "console" } },
      { idempotencyKey: "console-1" },
    );
    h.cloud.settle();
    h.kube.apply("VPC", "imported", {
      cidr: "10.0.0.0/16",
      importID: existing.id,
      tags: { owner: "platform" },
    });
    await h.converge([["VPC", "imported"]], 3);
    expect(h.kube.object("VPC", "imported")?.status?.id).toBe(existing.id);
    expect(h.kube.object("VPC", "imported")?.metadata.finalizers).toEqual([FINALIZER]);
    expect(h.cloud.get<Vpc>(existing.id)?.tags.owner).toBe("platform");
    expect(h.cloud.count("vpc.create")).toBe(1);
    expect(h.kube.reasons()).toContain("Imported");
    expect(h.kube.condition("VPC", "imported", "Ready")?.status).toBe("True");
  });

  it("refuses to import a resource another live object manages, but adopts one whose owner is gone", async () => {
    const h = new Harness();
    const vpc = await readyVpc(h);
    h.kube.apply("VPC", "second", { cidr: "10.0.0.0/16", importID: vpc.id });
    await h.converge([["VPC", "second"]], 2);
    expect(h.kube.condition("VPC", "second", "Stalled")).toMatchObject({
      status: "True",
      reason: "AlreadyManaged",
    });
    expect(h.kube.condition("VPC", "second", "Stalled")?.message).toContain("VPC default/net");
    expect(h.cloud.get<Vpc>(vpc.id)?.tags[OWNER_TAG]).toBe(h.kube.object("VPC", "net")?.metadata.uid);
    expect(h.kube.object("VPC", "second")?.metadata.finalizers ?? []).toEqual([]);
    // The owner goes away keeping the resource: the import may now take it over.
    h.kube.apply("VPC", "net", { ...vpcSpec, deletionPolicy: "Orphan" });
    h.kube.delete("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.kube.object("VPC", "net")).toBeUndefined();
    h.kube.apply("VPC", "second", { cidr: "10.0.0.0/16", importID: vpc.id, tags: { retry: "1" } });
    await h.converge([["VPC", "second"]], 3);
    expect(h.kube.condition("VPC", "second", "Ready")?.status).toBe("True");
    expect(h.cloud.get<Vpc>(vpc.id)?.tags[OWNER_TAG]).toBe(h.kube.object("VPC", "second")?.metadata.uid);
  });

  it("the paused annotation stops all cloud calls until removed", async () => {
    const h = new Harness();
    h.kube.apply("VPC", "net", vpcSpec, { annotations: { "clouddigit.ai/paused": "true" } });
    await h.converge([["VPC", "net"]], 2);
    expect(h.cloud.calls).toEqual([]);
    expect(h.kube.condition("VPC", "net", "Synced")).toMatchObject({
      status: "False",
      reason: "ReconcilePaused",
    });
    h.kube.annotate("VPC", "net", { "clouddigit.ai/paused": null });
    await h.converge([["VPC", "net"]], 3);
    expect(h.kube.condition("VPC", "net", "Ready")?.status).toBe("True");
  });

  it("pausing a converged object: drift is left alone while paused", async () => {
    const h = new Harness({ resyncMs: 60_000 });
    const vpc = await readyVpc(h);
    h.kube.annotate("VPC", "net", { "clouddigit.ai/paused": "true" });
    h.cloud.mutate(vpc.id, (r) => (r.tags = {}));
    h.nowMs += 120_000;
    const before = h.cloud.calls.length;
    await h.reconcile("VPC", "net");
    expect(h.cloud.calls.length).toBe(before);
    expect(h.kube.condition("VPC", "net", "Ready")?.status).toBe("True");
  });
});

describe("out-of-band changes", () => {
  it("recreates a Managed resource deleted outside Kubernetes and says so in an event", async () => {
    const h = new Harness({ resyncMs: 60_000 });
    const vpc = await readyVpc(h);
    h.cloud.deleteOutOfBand(vpc.id);
    h.nowMs += 120_000;
    await h.converge([["VPC", "net"]], 3);
    const id = h.kube.object("VPC", "net")?.status?.id;
    expect(id).toBeDefined();
    expect(id).not.toBe(vpc.id);
    expect(h.cloud.count("vpc.create")).toBe(2);
    expect(h.kube.events.find((e) => e.reason === "RecreatingDeletedResource")?.type).toBe("Warning");
    expect(h.kube.condition("VPC", "net", "Ready")?.status).toBe("True");
  });

  it("corrects drift of mutable fields at resync and counts it", async () => {
    const h = new Harness({ resyncMs: 60_000 });
    const vpc = await readyVpc(h);
    h.cloud.mutate(vpc.id, (r) => (r.tags = { team: "hijacked" }));
    h.nowMs += 120_000;
    await h.converge([["VPC", "net"]], 2);
    expect(h.cloud.get<Vpc>(vpc.id)?.tags.team).toBe("web");
    expect(h.kube.reasons()).toContain("DriftDetected");
    const metrics = await h.registry.getSingleMetricAsString("clouddigit_drift_corrections_total");
    expect(metrics).toContain('clouddigit_drift_corrections_total{kind="VPC"} 1');
  });
});

describe("a cache that lags the operator's own writes", () => {
  it("waits for the cache instead of deciding on the status it just replaced", async () => {
    const h = new Harness({ resyncMs: 60_000 });
    const vpc = await readyVpc(h);
    // The cloud VPC goes busy: the resync reports Ready=False while the cache holds on to the
    // copy that still says Ready=True.
    h.cloud.mutate(vpc.id, (r) => (r.state = "creating"));
    h.nowMs += 120_000;
    h.kube.freezeCache("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.kube.condition("VPC", "net", "Ready")?.status).toBe("False");
    // The cloud is done again, and the VPC is reconciled before the cache shows that write.
    h.cloud.mutate(vpc.id, (r) => (r.state = "active"));
    const calls = h.cloud.calls.length;
    const writes = h.kube.statusWrites;
    const requeue = await h.reconcile("VPC", "net");
    // Deciding on the frozen copy would judge Ready=True unchanged and skip the write, leaving
    // the API at Ready=False with nothing to correct it before the next resync.
    expect(requeue).toEqual({ requeueAfterMs: 100 });
    expect(h.cloud.calls.length).toBe(calls);
    expect(h.kube.statusWrites).toBe(writes);
    h.kube.thawCache("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.kube.condition("VPC", "net", "Ready")?.status).toBe("True");
  });

  it("waits past the intermediate versions of its own writes too (a finalizer before the status.id)", async () => {
    const h = new Harness({ resyncMs: 60_000 });
    h.kube.apply("VPC", "net", vpcSpec);
    await h.reconcile("VPC", "net");
    const versions = h.kube.writtenVersions("VPC", "net");
    expect(versions.length).toBeGreaterThanOrEqual(2);
    // The watch delivers the first write (finalizer, no status.id yet) after the reconcile ended.
    h.kube.showCacheAt("VPC", "net", versions[0] ?? "");
    expect(h.kube.get("VPC", "default", "net")?.status?.id).toBeUndefined();
    const calls = h.cloud.calls.length;
    // Deciding on that copy would look the VPC up again, as if the create had never been recorded.
    expect(await h.reconcile("VPC", "net")).toEqual({ requeueAfterMs: 100 });
    expect(h.cloud.calls.length).toBe(calls);
    h.kube.thawCache("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.cloud.count("vpc.create")).toBe(1);
  });

  it("acts on the cache anyway once it has lagged for cacheLagMaxMs", async () => {
    const h = new Harness({ resyncMs: 60_000, cacheLagMaxMs: 60_000 });
    const vpc = await readyVpc(h);
    h.cloud.mutate(vpc.id, (r) => (r.state = "creating"));
    h.nowMs += 120_000;
    h.kube.freezeCache("VPC", "net");
    await h.reconcile("VPC", "net");
    expect((await h.reconcile("VPC", "net"))?.requeueAfterMs).toBe(100);
    h.nowMs += 60_000;
    const calls = h.cloud.calls.length;
    // It reconciles again; its write, based on the old copy, is refused as stale by the API.
    await expect(h.reconcile("VPC", "net")).rejects.toThrow("409 Conflict");
    expect(h.cloud.calls.slice(calls)).toEqual(["vpc.get"]);
  });
});

describe("dependencies and deletion order", () => {
  it("waits with DependencyNotReady naming the dependency and proceeds once it is Ready", async () => {
    const h = new Harness();
    h.kube.apply("Subnet", "web", subnetSpec);
    await h.reconcile("Subnet", "web");
    const ready = h.kube.condition("Subnet", "web", "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "DependencyNotReady" });
    expect(ready?.message).toContain('VPC "net"');
    expect(ready?.message).toContain("does not exist");
    expect(h.kube.object("Subnet", "web")?.metadata.finalizers ?? []).toEqual([]);
    expect(h.cloud.count("subnet.create")).toBe(0);
    h.kube.apply("VPC", "net", vpcSpec);
    await h.converge(
      [
        ["VPC", "net"],
        ["Subnet", "web"],
      ],
      4,
    );
    expect(h.kube.condition("Subnet", "web", "Ready")?.status).toBe("True");
    const subnet = h.cloud.get<Subnet>(h.kube.object("Subnet", "web")?.status?.id ?? "");
    expect(subnet?.vpc_id).toBe(h.kube.object("VPC", "net")?.status?.id);
  });

  it("a parent with live children waits for them (DeletionBlocked) and is deleted after them", async () => {
    const h = new Harness();
    h.kube.apply("VPC", "net", vpcSpec);
    h.kube.apply("Subnet", "web", subnetSpec);
    await h.converge(
      [
        ["VPC", "net"],
        ["Subnet", "web"],
      ],
      4,
    );
    h.kube.delete("VPC", "net");
    await h.reconcile("VPC", "net");
    const ready = h.kube.condition("VPC", "net", "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "DeletionBlocked" });
    expect(ready?.message).toContain("Subnet web");
    expect(h.cloud.count("vpc.delete")).toBe(0);
    h.kube.delete("Subnet", "web");
    await h.converge(
      [
        ["Subnet", "web"],
        ["VPC", "net"],
      ],
      4,
    );
    expect(h.kube.object("VPC", "net")).toBeUndefined();
    expect(h.kube.object("Subnet", "web")).toBeUndefined();
    expect(h.cloud.list("vpc_")).toHaveLength(0);
    expect(h.cloud.list("subnet_")).toHaveLength(0);
  });

  it("deleting an object whose cloud resource was never created needs no ProviderConfig", async () => {
    const h = new Harness();
    h.providers.broken = 'ProviderConfig "default" not found';
    h.kube.apply("VPC", "net", vpcSpec);
    await h.reconcile("VPC", "net");
    expect(h.kube.condition("VPC", "net", "Ready")).toMatchObject({ reason: "ProviderConfigNotReady" });
    expect(h.kube.condition("VPC", "net", "Ready")?.message).toContain("not found");
    h.kube.delete("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.kube.object("VPC", "net")).toBeUndefined();
  });

  it("a create refused by the cloud leaves nothing for deletion to look for, even with a broken config", async () => {
    const h = new Harness();
    h.cloud.failNext("vpc.create", "quota", "quota exceeded: 5 VPCs per project");
    h.kube.apply("VPC", "net", vpcSpec);
    await h.reconcile("VPC", "net");
    expect(h.kube.object("VPC", "net")?.metadata.finalizers).toEqual([FINALIZER]);
    h.providers.broken = "credentials Secret missing";
    h.kube.delete("VPC", "net");
    await h.reconcile("VPC", "net");
    expect(h.kube.object("VPC", "net")).toBeUndefined();
  });

  it("deleting a created resource with a broken config waits with a clear condition", async () => {
    const h = new Harness();
    await readyVpc(h);
    h.providers.broken = 'Secret "cd-token" not found';
    h.kube.delete("VPC", "net");
    await h.reconcile("VPC", "net");
    const ready = h.kube.condition("VPC", "net", "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "ProviderConfigNotReady" });
    expect(ready?.message).toContain("deletionPolicy: Orphan");
  });
});

describe("errors", () => {
  it("a refused credential stalls the object and asks for a check of its ProviderConfig", async () => {
    const h = new Harness();
    h.cloud.failNext("vpc.create", "unauthenticated", "unknown or malformed API token", 100);
    h.kube.apply("VPC", "net", vpcSpec);
    await h.reconcile("VPC", "net");
    expect(h.kube.condition("VPC", "net", "Stalled")).toMatchObject({
      status: "True",
      reason: "Unauthenticated",
    });
    expect(h.credentialsRejected).toEqual(["net"]);
  });

  it("names the catalogs lack, zones of another region and foreign IDs stall before any create call", async () => {
    const h = new Harness();
    h.cloud.withCatalog(["std-2x8", "std-4x16"], ["ubuntu-24.04"]);
    const vpc = await readyVpc(h);
    h.kube.apply("Subnet", "web", subnetSpec);
    h.kube.apply("Subnet", "far", { ...subnetSpec, cidr: "10.0.2.0/24", zone: "bd-ctg-1a" });
    h.kube.apply("Subnet", "foreign", { vpcID: "vpc_01NOTOURS", cidr: "10.0.3.0/24", zone: "bd-dha-1a" });
    h.kube.apply("VM", "odd-flavor", { ...vmSpec, flavor: "std-999x999" });
    h.kube.apply("VM", "odd-image", { ...vmSpec, image: "no-such-image-1" });
    h.kube.apply("VM", "foreign-key", { ...vmSpec, sshKeyIDs: ["key_01NOTOURS"] });
    h.kube.apply("Volume", "far", { sizeGiB: 10, zone: "bd-ctg-1a", type: "ssd" });
    await h.converge(h.kube.all(), 4);

    const stalled = (kind: "Subnet" | "VM" | "Volume", name: string) =>
      h.kube.condition(kind, name, "Stalled");
    expect(stalled("Subnet", "far")).toMatchObject({ status: "True", reason: "InvalidSpec" });
    expect(stalled("Subnet", "far")?.message).toMatch(
      /spec\.zone: bd-ctg-1a is not a known zone of region bd-dha-1; known: bd-dha-1a/,
    );
    expect(stalled("Subnet", "foreign")?.message).toMatch(/spec\.vpcID: vpc_01NOTOURS does not exist/);
    expect(stalled("VM", "odd-flavor")?.message).toMatch(
      /spec\.flavor: std-999x999 is not a known flavor; known: std-2x8, std-4x16$/,
    );
    expect(stalled("VM", "odd-image")?.message).toMatch(
      /spec\.image: no-such-image-1 is not a known image; known: ubuntu-24.04/,
    );
    expect(stalled("VM", "foreign-key")?.message).toMatch(
      /spec\.sshKeyIDs\[0\]: key_01NOTOURS does not exist/,
    );
    expect(stalled("Volume", "far")?.message).toMatch(/spec\.zone: bd-ctg-1a is not a known zone/);
    // Only the valid subnet reached the cloud; the catalogs were read once each.
    expect(h.cloud.count("subnet.create")).toBe(1);
    expect(h.cloud.count("server.create")).toBe(0);
    expect(h.cloud.count("volume.create")).toBe(0);
    expect(h.cloud.count("flavors.list")).toBe(1);
    expect(h.cloud.count("images.list")).toBe(1);
    expect(h.cloud.count("regions.list")).toBe(1);
    expect(vpc.state).toBe("active");
  });

  it("a terminal error stalls with a clear message, without a retry storm, and recovers when the spec changes", async () => {
    const h = new Harness();
    h.kube.apply("Subnet", "web", subnetSpec);
    await readyVpc(h);
    h.cloud.failNext("subnet.create", "invalid", "cidr 10.0.9.0/24 overlaps subnet subnet_01", 100);
    h.kube.apply("Subnet", "web", { ...subnetSpec, cidr: "10.0.9.0/24" });
    const requeue = await h.reconcile("Subnet", "web");
    expect(requeue?.requeueAfterMs).toBeGreaterThanOrEqual(15 * 60_000);
    expect(h.kube.condition("Subnet", "web", "Stalled")).toMatchObject({
      status: "True",
      reason: "InvalidSpec",
    });
    expect(h.kube.condition("Subnet", "web", "Stalled")?.message).toContain("overlaps subnet");
    expect(h.kube.condition("Subnet", "web", "Reconciling")?.status).toBe("False");
    for (let i = 0; i < 20; i++) {
      await h.reconcile("Subnet", "web");
      h.nowMs += 1_000;
    }
    expect(h.cloud.count("subnet.create")).toBe(1);
    expect(h.kube.events.filter((e) => e.reason === "InvalidSpec")).toHaveLength(1);
    h.cloud.failNext("subnet.create", "invalid", "", 0);
    h.cloud.calls.length = 0;
    (h.cloud as unknown as { failures: unknown[] }).failures.length = 0;
    h.kube.apply("Subnet", "web", subnetSpec);
    await h.converge([["Subnet", "web"]], 3);
    expect(h.kube.condition("Subnet", "web", "Ready")?.status).toBe("True");
    expect(h.kube.condition("Subnet", "web", "Stalled")?.status).toBe("False");
  });

  it("a subnet outside its VPC's range stalls before any cloud call, naming both", async () => {
    const h = new Harness();
    await readyVpc(h);
    h.kube.apply("Subnet", "web", { ...subnetSpec, cidr: "10.9.0.0/24" });
    await h.reconcile("Subnet", "web");
    expect(h.kube.condition("Subnet", "web", "Stalled")).toMatchObject({
      status: "True",
      reason: "InvalidSpec",
    });
    expect(h.kube.condition("Subnet", "web", "Stalled")?.message).toContain(
      'cidr 10.9.0.0/24 is not inside 10.0.0.0/16, the range of VPC "net"',
    );
    expect(h.cloud.count("subnet.create")).toBe(0);
    expect(h.kube.object("Subnet", "web")?.metadata.annotations?.[CREATE_PENDING_ANNOTATION]).toBeUndefined();
  });

  it("a stalled object is retried on the slow timer", async () => {
    const h = new Harness({ stalledRetryMs: 60_000 });
    h.cloud.failNext("vpc.create", "quota", "quota exceeded", 1);
    h.kube.apply("VPC", "net", vpcSpec);
    await h.reconcile("VPC", "net");
    expect(h.kube.condition("VPC", "net", "Stalled")).toMatchObject({
      status: "True",
      reason: "QuotaExceeded",
    });
    h.nowMs += 80_000;
    await h.converge([["VPC", "net"]], 3);
    expect(h.kube.condition("VPC", "net", "Ready")?.status).toBe("True");
  });

  it("throttled waits the Retry-After; transient errors back off through the queue", async () => {
    const h = new Harness();
    h.cloud.failNext("vpc.create", "throttled", "rate limited", 1, 7_000);
    h.kube.apply("VPC", "net", vpcSpec);
    expect(await h.reconcile("VPC", "net")).toEqual({ requeueAfterMs: 7_000 });
    expect(h.kube.condition("VPC", "net", "Synced")).toMatchObject({ status: "False", reason: "Throttled" });
    expect(h.kube.condition("VPC", "net", "Stalled")?.status).toBe("False");
    h.cloud.failNext("vpc.create", "transient", "503", 1);
    expect(await h.reconcile("VPC", "net")).toEqual({ requeue: true });
    expect(h.kube.condition("VPC", "net", "Reconciling")?.status).toBe("True");
    await h.converge([["VPC", "net"]], 3);
    expect(h.cloud.list("vpc_")).toHaveLength(1);
  });

  it("a cloud resource in error stalls with the cloud's reason", async () => {
    const h = new Harness();
    const vpc = await readyVpc(h);
    h.cloud.mutate(vpc.id, (r) => {
      r.state = "error";
      r.state_reason = "hypervisor lost";
    });
    h.nowMs += 3600_000;
    await h.reconcile("VPC", "net");
    expect(h.kube.condition("VPC", "net", "Stalled")).toMatchObject({
      status: "True",
      reason: "CloudResourceFailed",
    });
    expect(h.kube.condition("VPC", "net", "Stalled")?.message).toContain("hypervisor lost");
  });
});

describe("VM and Volume", () => {
  it("creates the VM in the referenced subnet with its SSH keys and publishes its IP", async () => {
    const h = new Harness();
    h.kube.apply("SSHKey", "me", {
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA me",
    });
    await h.converge([["SSHKey", "me"]], 1);
    const vm = await readyVm(h, { sshKeyRefs: [{ name: "me" }] });
    expect(vm.ssh_key_ids).toEqual([h.kube.object("SSHKey", "me")?.status?.id]);
    expect(vm.subnet_id).toBe(h.kube.object("Subnet", "web")?.status?.id);
    expect(h.kube.object("VM", "app")?.status?.atProvider?.privateIP).toBe(vm.addresses.private_ip);
  });

  it("reads user data from a Secret at creation; a missing Secret stalls with a message naming it", async () => {
    const h = new Harness();
    h.kube.apply("VPC", "net", vpcSpec);
    h.kube.apply("Subnet", "web", subnetSpec);
    h.kube.apply("VM", "app", { ...vmSpec, userDataSecretRef: { name: "boot", key: "userData" } });
    await h.converge(h.kube.all(), 4);
    expect(h.kube.condition("VM", "app", "Stalled")).toMatchObject({ status: "True", reason: "InvalidSpec" });
    expect(h.kube.condition("VM", "app", "Stalled")?.message).toContain(
      'Secret "boot" has no key "userData"',
    );
    expect(h.cloud.count("server.create")).toBe(0);
    h.kube.secrets.set("default/boot/userData", "#cloud-config\n");
    h.kube.apply("VM", "app", {
      ...vmSpec,
      userDataSecretRef: { name: "boot", key: "userData" },
      tags: { retry: "1" },
    });
    await h.converge(h.kube.all(), 4);
    expect(h.kube.condition("VM", "app", "Ready")?.status).toBe("True");
    expect(h.cloud.createBodies.at(-1)?.user_data).toBe("#cloud-config\n");
  });

  it("resizes within a family with one resize action (no stop)", async () => {
    const h = new Harness();
    const vm = await readyVm(h);
    h.kube.apply("VM", "app", { ...vmSpec, flavor: "std-4x16" });
    await h.converge([["VM", "app"]], 3);
    expect(h.cloud.get<Server>(vm.id)?.flavor).toBe("std-4x16");
    expect(h.cloud.count("server.resize")).toBe(1);
    expect(h.cloud.count("server.stop")).toBe(0);
    expect(h.kube.condition("VM", "app", "Ready")?.status).toBe("True");
    expect(h.kube.object("VM", "app")?.status?.observedGeneration).toBe(2);
  });

  it("resizes across families with stop, resize, start when allowDisruption is set", async () => {
    const h = new Harness();
    const vm = await readyVm(h);
    h.kube.apply("VM", "app", { ...vmSpec, flavor: "mem-2x16", allowDisruption: true });
    await h.converge([["VM", "app"]], 6);
    expect(
      h.cloud.calls.filter((c) => c.startsWith("server.") && !c.endsWith(".get") && !c.endsWith(".list")),
    ).toEqual(["server.create", "server.stop", "server.resize", "server.start"]);
    expect(h.cloud.get<Server>(vm.id)).toMatchObject({ flavor: "mem-2x16", state: "active" });
    expect(h.kube.condition("VM", "app", "Ready")?.status).toBe("True");
  });

  it("refuses a cross-family resize of a running VM without allowDisruption (Stalled)", async () => {
    const h = new Harness();
    await readyVm(h);
    h.kube.apply("VM", "app", { ...vmSpec, flavor: "cpu-2x4" });
    await h.converge([["VM", "app"]], 2);
    expect(h.kube.condition("VM", "app", "Stalled")).toMatchObject({ status: "True", reason: "InvalidSpec" });
    expect(h.kube.condition("VM", "app", "Stalled")?.message).toContain("allowDisruption");
    expect(h.cloud.count("server.stop")).toBe(0);
  });

  it("follows powerState", async () => {
    const h = new Harness();
    const vm = await readyVm(h);
    h.kube.apply("VM", "app", { ...vmSpec, powerState: "Stopped" });
    await h.converge([["VM", "app"]], 3);
    expect(h.cloud.get<Server>(vm.id)?.state).toBe("stopped");
    expect(h.kube.condition("VM", "app", "Ready")?.status).toBe("True");
    h.kube.apply("VM", "app", { ...vmSpec, powerState: "Running" });
    await h.converge([["VM", "app"]], 3);
    expect(h.cloud.get<Server>(vm.id)?.state).toBe("active");
    expect(h.cloud.count("server.stop")).toBe(1);
    expect(h.cloud.count("server.start")).toBe(1);
  });

  it("attaches volumes listed in volumeRefs and detaches removed ones", async () => {
    const h = new Harness();
    h.kube.apply("Volume", "data", { sizeGiB: 50, type: "nvme", zone: "bd-dha-1a" });
    const vm = await readyVm(h, { volumeRefs: [{ name: "data" }] });
    await h.converge(
      [
        ["Volume", "data"],
        ["VM", "app"],
      ],
      4,
    );
    const volId = h.kube.object("Volume", "data")?.status?.id ?? "";
    expect(h.cloud.get<Server>(vm.id)?.volume_ids).toEqual([volId]);
    expect(h.kube.object("VM", "app")?.status?.atProvider?.volumeIDs).toEqual([volId]);
    expect(h.kube.object("Volume", "data")?.status?.atProvider?.serverID).toBe(vm.id);
    h.kube.apply("VM", "app", { ...vmSpec });
    await h.converge(
      [
        ["Volume", "data"],
        ["VM", "app"],
      ],
      4,
    );
    expect(h.cloud.get<Server>(vm.id)?.volume_ids).toEqual([]);
    expect(h.cloud.get<Volume>(volId)?.state).toBe("available");
  });

  it("a VM is Ready only once its volume reports the attachment (no Ready flapping while attaching)", async () => {
    const h = new Harness();
    h.kube.apply("Volume", "data", { sizeGiB: 50, type: "nvme", zone: "bd-dha-1a" });
    await readyVm(h);
    await h.converge([["Volume", "data"]], 3);
    h.kube.apply("VM", "app", { ...vmSpec, volumeRefs: [{ name: "data" }] });
    await h.reconcile("VM", "app"); // issues the attach
    h.cloud.settle(); // the cloud finished; the Volume object has not been reconciled yet
    await h.reconcile("VM", "app");
    expect(h.kube.condition("VM", "app", "Ready")).toMatchObject({ status: "False", reason: "Provisioning" });
    expect(h.kube.condition("VM", "app", "Ready")?.message).toContain("attaching Volume data");
    await h.reconcile("Volume", "data");
    await h.reconcile("VM", "app");
    expect(h.kube.condition("VM", "app", "Ready")?.status).toBe("True");
  });

  it("a volume listed by a live VM waits before deletion; deleting the VM releases it", async () => {
    const h = new Harness();
    h.kube.apply("Volume", "data", { sizeGiB: 50, type: "nvme", zone: "bd-dha-1a" });
    await readyVm(h, { volumeRefs: [{ name: "data" }] });
    await h.converge(
      [
        ["Volume", "data"],
        ["VM", "app"],
      ],
      4,
    );
    h.kube.delete("Volume", "data");
    await h.reconcile("Volume", "data");
    expect(h.kube.condition("Volume", "data", "Ready")).toMatchObject({ reason: "DeletionBlocked" });
    expect(h.kube.condition("Volume", "data", "Ready")?.message).toContain("VM app");
    h.kube.delete("VM", "app");
    await h.converge(
      [
        ["VM", "app"],
        ["Volume", "data"],
      ],
      5,
    );
    expect(h.kube.object("Volume", "data")).toBeUndefined();
    expect(h.cloud.list("vol_")).toHaveLength(0);
    expect(h.cloud.list("vm_")).toHaveLength(0);
  });

  it("grows a volume and never tries to shrink one grown out of band", async () => {
    const h = new Harness({ resyncMs: 60_000 });
    h.kube.apply("Volume", "data", { sizeGiB: 50, type: "nvme", zone: "bd-dha-1a" });
    await h.converge([["Volume", "data"]], 3);
    const id = h.kube.object("Volume", "data")?.status?.id ?? "";
    h.kube.apply("Volume", "data", { sizeGiB: 80, type: "nvme", zone: "bd-dha-1a" });
    await h.converge([["Volume", "data"]], 3);
    expect(h.cloud.get<Volume>(id)?.size_gib).toBe(80);
    expect(h.kube.object("Volume", "data")?.status?.atProvider?.sizeGiB).toBe(80);
    h.cloud.mutate(id, (r) => ((r as Volume).size_gib = 100));
    h.nowMs += 120_000;
    await h.converge([["Volume", "data"]], 2);
    expect(h.cloud.count("volume.update")).toBe(1);
    expect(h.kube.condition("Volume", "data", "Ready")?.status).toBe("True");
  });
});

describe("metrics", () => {
  it("publishes per-kind exists/ready/synced gauges", async () => {
    const h = new Harness();
    await readyVpc(h);
    h.kube.apply("Subnet", "web", { ...subnetSpec, vpcRef: { name: "missing" } });
    await h.reconcile("Subnet", "web");
    const text = await h.registry.getSingleMetricAsString("clouddigit_managed_resources");
    expect(text).toContain('clouddigit_managed_resources{kind="VPC",state="ready"} 1');
    expect(text).toContain('clouddigit_managed_resources{kind="VPC",state="exists"} 1');
    expect(text).toContain('clouddigit_managed_resources{kind="Subnet",state="ready"} 0');
    expect(text).toContain('clouddigit_managed_resources{kind="Subnet",state="exists"} 0');
    expect(text).toContain('clouddigit_managed_resources{kind="Subnet",state="synced"} 1');
  });
});

describe("waiting on the cloud through the collection observer", () => {
  it("objects in transition are watched with one list for all, woken when done, and reconciled from its copy", async () => {
    const h = new Harness({ pollMs: 5 }, { watch: true });
    const names = ["a", "b", "c"];
    names.forEach((n, i) => h.kube.apply("VPC", n, { cidr: `10.${i}.0.0/16` }));
    for (const n of names) {
      // Watched: the object's own requeue is only the safety net.
      expect(await h.reconcile("VPC", n)).toEqual({ requeueAfterMs: 60_000 });
    }
    expect(h.kube.condition("VPC", "a", "Ready")?.reason).toBe("Provisioning");
    const afterCreates = h.cloud.calls.length;
    // A reconcile for another reason while the cloud works (nothing of its inputs changed): no call.
    await h.reconcile("VPC", "a");
    expect(h.cloud.calls.length).toBe(afterCreates);

    // Lists while nothing changed wake nobody.
    await vi.waitFor(() => expect(h.cloud.count("vpc.list")).toBeGreaterThanOrEqual(2));
    expect(h.woken).toEqual([]);
    h.cloud.settle();
    await vi.waitFor(() =>
      expect([...h.woken].sort()).toEqual(["VPC/default/a", "VPC/default/b", "VPC/default/c"]),
    );
    const lists = h.cloud.count("vpc.list");
    for (const n of names) await h.reconcile("VPC", n);
    for (const n of names) expect(h.kube.condition("VPC", n, "Ready")?.status).toBe("True");
    // Each woken reconcile read the list's copy: no GET, and no further list once nothing is watched.
    expect(h.cloud.count("vpc.get")).toBe(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.cloud.count("vpc.list")).toBe(lists);
  });

  it("a reconcile that changes an input of a watched object reads the cloud itself", async () => {
    const h = new Harness({ pollMs: 60_000 }, { watch: true });
    h.kube.apply("VPC", "net", vpcSpec);
    await h.reconcile("VPC", "net");
    expect(h.cloud.count("vpc.get")).toBe(0);
    h.kube.apply("VPC", "net", { ...vpcSpec, description: "changed" });
    await h.reconcile("VPC", "net");
    expect(h.cloud.count("vpc.get")).toBe(1);
  });
});

describe("a watched object whose wait ends in Kubernetes", () => {
  it("a VM waiting for its volume to report the attachment goes Ready once the Volume's status says so", async () => {
    const h = new Harness({ pollMs: 5 }, { watch: true });
    h.kube.apply("Volume", "data", { sizeGiB: 50, type: "nvme", zone: "bd-dha-1a" });
    h.kube.apply("VPC", "net", vpcSpec);
    h.kube.apply("Subnet", "web", subnetSpec);
    h.kube.apply("VM", "app", { ...vmSpec, volumeRefs: [{ name: "data" }] });
    // Every object reconciled each round (as the watches between kinds would), the cloud settled,
    // and time for the observer's polls; far fewer rounds than the 60 s safety re-check would need.
    for (let round = 0; round < 20; round++) {
      if (h.kube.condition("VM", "app", "Ready")?.status === "True") break;
      for (const [kind, name] of h.kube.all()) await h.reconcile(kind, name);
      h.cloud.settle();
      await new Promise((r) => setTimeout(r, 20));
      h.nowMs += 1_000;
    }
    expect(h.kube.condition("VM", "app", "Ready")?.status).toBe("True");
    expect(h.kube.object("Volume", "data")?.status?.atProvider?.serverID).toBe(
      h.kube.object("VM", "app")?.status?.id,
    );
  });
});

describe("resync of a converged object through the collection observer", () => {
  // Resync 60 s (63 s with the harness's jitter), checks gather for up to 20 ms.
  const timing = { resyncMs: 60_000, pollMs: 5, resyncGatherMs: 20 };
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Converged VPCs; from then on the observer's timers are fake (advanced by the test). */
  async function convergedVpcs(h: Harness, names: string[]): Promise<void> {
    names.forEach((n, i) => h.kube.apply("VPC", n, { cidr: `10.${i}.0.0/16`, tags: { team: "web" } }));
    await convergeWatched(
      h,
      names.map((n) => ["VPC", n]),
    );
    for (const n of names) expect(h.kube.condition("VPC", n, "Ready")?.status).toBe("True");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  }

  it("an unchanged resource costs a share of one list: no GET, no reconcile, no write", async () => {
    const h = new Harness(timing, { watch: true });
    const names = ["a", "b", "c"];
    await convergedVpcs(h, names);
    const calls = h.cloud.calls.length;
    const writes = h.kube.statusWrites + h.kube.metadataWrites;
    const woken = h.woken.length;

    h.nowMs += 70_000; // past the jittered resync
    for (const n of names) expect(await h.reconcile("VPC", n)).toEqual({ requeueAfterMs: 63_000 });
    await vi.advanceTimersByTimeAsync(19);
    expect(h.cloud.calls.length).toBe(calls);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.cloud.calls.slice(calls)).toEqual(["vpc.list"]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.cloud.calls.length).toBe(calls + 1);
    expect(h.woken.length).toBe(woken);
    expect(h.kube.statusWrites + h.kube.metadataWrites).toBe(writes);
    const checks = await h.registry.getSingleMetricAsString("clouddigit_resync_checks_total");
    expect(checks).toContain('clouddigit_resync_checks_total{kind="VPC",result="unchanged"} 3');
    // Until the next resync the memo answers again.
    h.nowMs += 30_000;
    await h.reconcile("VPC", "a");
    expect(h.cloud.calls.length).toBe(calls + 1);
  });

  it("a resource changed behind the operator's back wakes its object, corrected from the list's copy", async () => {
    const h = new Harness(timing, { watch: true });
    await convergedVpcs(h, ["a", "b"]);
    const id = h.kube.object("VPC", "a")?.status?.id ?? "";
    h.cloud.mutate(id, (r) => (r.tags = { team: "hijacked" }));
    const gets = h.cloud.count("vpc.get");

    h.nowMs += 70_000;
    await h.reconcile("VPC", "a");
    await h.reconcile("VPC", "b");
    await vi.advanceTimersByTimeAsync(20);
    expect(h.woken.slice(-1)).toEqual(["VPC/default/a"]);
    const checks = await h.registry.getSingleMetricAsString("clouddigit_resync_checks_total");
    expect(checks).toContain('clouddigit_resync_checks_total{kind="VPC",result="changed"} 1');
    expect(checks).toContain('clouddigit_resync_checks_total{kind="VPC",result="unchanged"} 1');
    await h.reconcile("VPC", "a");
    expect(h.kube.reasons()).toContain("DriftDetected");
    expect(h.cloud.count("vpc.update")).toBe(1);
    expect(h.cloud.count("vpc.get")).toBe(gets);
    expect(h.cloud.get<Vpc>(id)?.tags.team).toBe("web");
  });

  it("an object whose dependency reports something new since it converged is reconciled in full", async () => {
    const h = new Harness(timing, { watch: true });
    h.kube.apply("VPC", "net", vpcSpec);
    h.kube.apply("Subnet", "web", subnetSpec);
    await convergeWatched(h, h.kube.all());
    expect(h.kube.condition("Subnet", "web", "Ready")?.status).toBe("True");
    const vpc = h.kube.object("VPC", "net") as ManagedObject;
    await h.kube.writeStatus("VPC", vpc, {
      ...vpc.status,
      atProvider: { ...vpc.status?.atProvider, description: "changed" },
    });
    const gets = h.cloud.count("subnet.get");

    h.nowMs += 70_000;
    await h.reconcile("Subnet", "web");
    // Its own read, at once: the inputs differ from those its last decision was made on.
    expect(h.cloud.count("subnet.get")).toBe(gets + 1);
  });
});

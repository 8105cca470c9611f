// Each lifecycle rule of the resource model, against the real apiserver and the sandbox, with the
// operator in-process (drift resync 3 s and slow retry of stalled objects 4 s, so the timers are
// observable within a test).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedKind } from "../../../src/controllers/generic/actuator.ts";
import { EVENT_RESOURCE } from "../../../src/runtime/events.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { applyProviderConfig, createInCloud, SAMPLE_PROJECT, startEnv, type Env } from "./support.ts";

let env: Env;

beforeAll(async () => {
  env = await startEnv("lifecycle", {
    resync: 3_000,
    stalledRetryMs: 4_000,
    sandbox: { quotas: { vpcs: 100 } },
  });
  await applyProviderConfig(env);
});

afterAll(async () => {
  await env?.stop();
});

function obj(
  kind: ManagedKind,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind,
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

/** Creates a resource directly in the cloud, as another tool would. */
const cloudCreate = (path: string, body: Record<string, unknown>): Promise<{ id: string }> =>
  createInCloud(env, path, body);

function cloud<T = Record<string, unknown>>(id: string | undefined): T | undefined {
  return env.sandbox.state.get(id ?? "") as T | undefined;
}

async function id(kind: ManagedKind, name: string): Promise<string | undefined> {
  return (await env.get(kind, name))?.status?.id;
}

async function readyId(kind: ManagedKind, name: string): Promise<string> {
  await env.waitCondition(kind, name, "Ready", "True");
  return (await id(kind, name)) ?? "";
}

/** Cloud calls other than reads made for one resource id since the call log was last reset. */
function writesTo(resourceId: string): string[] {
  return env.sandbox
    .calls()
    .filter((c) => c.method !== "GET" && c.path.includes(resourceId))
    .map((c) => `${c.method} ${c.template}`);
}

async function eventReasons(name: string): Promise<string[]> {
  const list = await env.client.list(EVENT_RESOURCE, { namespace: env.namespace });
  return list.items
    .filter((e) => (e as { regarding?: { name?: string } }).regarding?.name === name)
    .map((e) => String((e as { reason?: string }).reason));
}

/** Events are written after the fact (the recorder queues them), so look until one arrives. */
async function expectEvent(name: string, reason: string): Promise<void> {
  await env.waitFor(
    `Event ${reason} for ${name}`,
    async () => (await eventReasons(name)).includes(reason),
    10_000,
  );
}

async function activeVpc(name: string): Promise<string> {
  const created = await cloudCreate("/network/vpcs", { name, cidr: "10.90.0.0/16" });
  await env.waitFor(
    `cloud VPC ${created.id} active`,
    async () => cloud<{ state: string }>(created.id)?.state === "active",
  );
  return created.id;
}

describe("policies", () => {
  it("deletionPolicy Orphan keeps the cloud resource when the object is deleted", async () => {
    await env.apply(obj("VPC", "orphan", { cidr: "10.1.0.0/16", deletionPolicy: "Orphan" }));
    const vpcId = await readyId("VPC", "orphan");
    await env.remove("VPC", "orphan");
    await env.waitGone("VPC", "orphan");
    expect(cloud<{ state: string }>(vpcId)?.state).toBe("active");
    await expectEvent("orphan", "Orphaned");
  });

  it("ObserveOnly reports an existing resource, never writes to it (not even drift), and leaves it on deletion", async () => {
    const vpcId = await activeVpc("observed");
    env.sandbox.resetCalls();
    await env.apply(
      obj("VPC", "observed", { cidr: "10.90.0.0/16", managementPolicy: "ObserveOnly", importID: vpcId }),
    );
    expect(await readyId("VPC", "observed")).toBe(vpcId);
    env.sandbox.state.patch(vpcId, { tags: { changed: "outside" } });
    await new Promise((r) => setTimeout(r, 4_000)); // past one drift resync
    expect((await env.get("VPC", "observed"))?.metadata.finalizers ?? []).toEqual([]);
    await env.remove("VPC", "observed");
    await env.waitGone("VPC", "observed");
    expect(writesTo(vpcId)).toEqual([]);
    expect(cloud<{ tags: Record<string, string> }>(vpcId)?.tags).toEqual({ changed: "outside" });
  });

  it("ObserveOnly reports a resource deleted out of band as missing", async () => {
    const vpcId = await activeVpc("observed-gone");
    await env.apply(
      obj("VPC", "observed-gone", { cidr: "10.90.0.0/16", managementPolicy: "ObserveOnly", importID: vpcId }),
    );
    await readyId("VPC", "observed-gone");
    env.sandbox.state.remove(vpcId);
    await env.waitCondition("VPC", "observed-gone", "Ready", "False", "NotFound");
    expect((await env.condition("VPC", "observed-gone", "Ready"))?.message).toContain(vpcId);
    expect(
      env.sandbox.state
        .list({ project: SAMPLE_PROJECT })
        .some((r) => r.name.startsWith(`${env.namespace}-observed-gone-`)),
    ).toBe(false);
    await env.remove("VPC", "observed-gone");
  });

  it("importID adopts an existing resource, brings its tags in line, and deletes it with the object", async () => {
    const vpcId = await activeVpc("imported");
    await env.apply(
      obj("VPC", "imported", { cidr: "10.90.0.0/16", importID: vpcId, tags: { owner: "platform" } }),
    );
    expect(await readyId("VPC", "imported")).toBe(vpcId);
    await env.waitFor(
      "tags applied",
      async () => cloud<{ tags: Record<string, string> }>(vpcId)?.tags.owner === "platform",
    );
    await expectEvent("imported", "Imported");
    await env.remove("VPC", "imported");
    await env.waitGone("VPC", "imported");
    expect(cloud(vpcId)).toBeUndefined();
  });

  it("the paused annotation stops cloud writes until it is removed", async () => {
    await env.apply(obj("VPC", "paused", { cidr: "10.2.0.0/16", description: "v1" }));
    const vpcId = await readyId("VPC", "paused");
    await env.apply(
      obj("VPC", "paused", { cidr: "10.2.0.0/16", description: "v2" }, { "clouddigit.ai/paused": "true" }),
    );
    await env.waitCondition("VPC", "paused", "Synced", "False", "ReconcilePaused");
    env.sandbox.resetCalls();
    await new Promise((r) => setTimeout(r, 4_000));
    expect(writesTo(vpcId)).toEqual([]);
    expect(cloud<{ description: string }>(vpcId)?.description).toBe("v1");
    await env.apply(obj("VPC", "paused", { cidr: "10.2.0.0/16", description: "v2" }, {}));
    await env.waitFor(
      "description applied",
      async () => cloud<{ description: string }>(vpcId)?.description === "v2",
    );
    await env.waitCondition("VPC", "paused", "Synced", "True");
  });
});

describe("out-of-band changes", () => {
  it("a Managed resource deleted out of band is recreated, with an event", async () => {
    await env.apply(obj("VPC", "recreated", { cidr: "10.3.0.0/16" }));
    const first = await readyId("VPC", "recreated");
    env.sandbox.state.remove(first);
    await env.waitFor("a new VPC id", async () => {
      const now = await id("VPC", "recreated");
      return now !== undefined && now !== first && cloud(now) !== undefined;
    });
    await env.waitCondition("VPC", "recreated", "Ready", "True");
    await env.waitFor("RecreatingDeletedResource event", async () =>
      (await eventReasons("recreated")).includes("RecreatingDeletedResource"),
    );
  });

  it("drift in a mutable field is corrected at resync", async () => {
    await env.apply(obj("VPC", "drift", { cidr: "10.4.0.0/16", tags: { team: "web" } }));
    const vpcId = await readyId("VPC", "drift");
    env.sandbox.state.patch(vpcId, { tags: { team: "someone-else" } });
    await env.waitFor(
      "tags restored",
      async () => cloud<{ tags: Record<string, string> }>(vpcId)?.tags.team === "web",
    );
  });
});

describe("dependencies and deletion order", () => {
  it("a dependant created before its dependency waits (DependencyNotReady) and proceeds by itself", async () => {
    await env.apply(
      obj("Subnet", "early", { vpcRef: { name: "late" }, cidr: "10.5.1.0/24", zone: "bd-dha-1a" }),
    );
    await env.waitCondition("Subnet", "early", "Ready", "False", "DependencyNotReady");
    expect((await env.condition("Subnet", "early", "Ready"))?.message).toContain('VPC "late"');
    await env.apply(obj("VPC", "late", { cidr: "10.5.0.0/16" }));
    const subnetId = await readyId("Subnet", "early");
    expect(cloud<{ vpc_id: string }>(subnetId)?.vpc_id).toBe(await id("VPC", "late"));
  });

  it("a subnet overlapping a sibling stalls (Collision) with the cloud's reason, and deletes without a cloud call", async () => {
    await env.apply(obj("VPC", "shared", { cidr: "10.8.0.0/16" }));
    await env.apply(
      obj("Subnet", "first", { vpcRef: { name: "shared" }, cidr: "10.8.1.0/24", zone: "bd-dha-1a" }),
    );
    await readyId("Subnet", "first");
    await env.apply(
      obj("Subnet", "overlap", { vpcRef: { name: "shared" }, cidr: "10.8.1.0/24", zone: "bd-dha-1a" }),
    );
    await env.waitCondition("Subnet", "overlap", "Stalled", "True", "Collision");
    const ready = await env.condition("Subnet", "overlap", "Ready");
    expect(ready?.message).toContain("overlaps subnet");
    expect((await env.condition("Subnet", "overlap", "Reconciling"))?.status).toBe("False");
    // The CIDR is immutable: the fix is a new object. The refused create left nothing in the
    // cloud, so the stalled object deletes at once.
    await env.remove("Subnet", "overlap");
    await env.waitGone("Subnet", "overlap");
    await env.apply(
      obj("Subnet", "beside", { vpcRef: { name: "shared" }, cidr: "10.8.2.0/24", zone: "bd-dha-1a" }),
    );
    await readyId("Subnet", "beside");
    for (const name of ["beside", "first"]) await env.remove("Subnet", name);
    await env.remove("VPC", "shared");
    await env.waitGone("VPC", "shared");
  });

  it("deleting a parent with live children waits with a clear condition, then completes after them", async () => {
    const vpcId = await readyId("VPC", "late");
    await readyId("Subnet", "early");
    await env.remove("VPC", "late");
    await env.waitCondition("VPC", "late", "Ready", "False", "DeletionBlocked");
    expect((await env.condition("VPC", "late", "Ready"))?.message).toContain("Subnet early");
    expect(cloud(vpcId)).toBeDefined();
    await env.remove("Subnet", "early");
    await env.waitGone("Subnet", "early");
    await env.waitGone("VPC", "late");
    expect(cloud(vpcId)).toBeUndefined();
  });
});

describe("VMs and volumes", () => {
  beforeAll(async () => {
    await env.apply(obj("VPC", "compute", { cidr: "10.6.0.0/16" }));
    await env.apply(
      obj("Subnet", "compute", { vpcRef: { name: "compute" }, cidr: "10.6.1.0/24", zone: "bd-dha-1a" }),
    );
    await readyId("Subnet", "compute");
  });

  const vm = (name: string, extra: Record<string, unknown> = {}) =>
    obj("VM", name, { flavor: "std-2x8", image: "ubuntu-24.04", subnetRef: { name: "compute" }, ...extra });

  it("resizes within a family with one resize action, and across families with stop, resize, start", async () => {
    await env.apply(vm("resized"));
    const vmId = await readyId("VM", "resized");
    env.sandbox.resetCalls();
    await env.apply(vm("resized", { flavor: "std-4x16" }));
    await env.waitFor(
      "std-4x16",
      async () => cloud<{ flavor: string; state: string }>(vmId)?.flavor === "std-4x16",
    );
    await env.waitCondition("VM", "resized", "Ready", "True");
    const actions = () =>
      env.sandbox
        .calls({ method: "POST", template: "/v1/compute/servers/{id}/actions" })
        .filter((c) => c.status < 300)
        .map((c) => c.seq);
    expect(actions()).toHaveLength(1);
    await env.apply(vm("resized", { flavor: "mem-2x16", allowDisruption: true }));
    await env.waitFor("mem-2x16 and running", async () => {
      const s = cloud<{ flavor: string; state: string }>(vmId);
      return s?.flavor === "mem-2x16" && s.state === "active";
    });
    await env.waitCondition("VM", "resized", "Ready", "True");
    expect(actions()).toHaveLength(4); // resize; then stop, resize, start
  });

  it("follows powerState", async () => {
    const vmId = await readyId("VM", "resized");
    await env.apply(vm("resized", { flavor: "mem-2x16", allowDisruption: true, powerState: "Stopped" }));
    await env.waitFor("stopped", async () => cloud<{ state: string }>(vmId)?.state === "stopped");
    await env.waitCondition("VM", "resized", "Ready", "True");
  });

  it("grows a volume and attaches and detaches it as volumeRefs say", async () => {
    await env.apply(obj("Volume", "grown", { sizeGiB: 20, zone: "bd-dha-1a" }));
    const volId = await readyId("Volume", "grown");
    await env.apply(obj("Volume", "grown", { sizeGiB: 40, zone: "bd-dha-1a" }));
    await env.waitFor("40 GiB", async () => cloud<{ size_gib: number }>(volId)?.size_gib === 40);
    await env.waitFor(
      "atProvider.sizeGiB 40",
      async () => (await env.get("Volume", "grown"))?.status?.atProvider?.sizeGiB === 40,
    );
    await env.apply(vm("with-volume", { volumeRefs: [{ name: "grown" }] }));
    const vmId = await readyId("VM", "with-volume");
    await env.waitFor("attached", async () => cloud<{ server_id: string | null }>(volId)?.server_id === vmId);
    await env.waitFor(
      "Volume status shows the VM",
      async () => (await env.get("Volume", "grown"))?.status?.atProvider?.serverID === vmId,
    );
    await env.apply(vm("with-volume", { volumeRefs: [] }));
    await env.waitFor("detached", async () => cloud<{ server_id: string | null }>(volId)?.server_id === null);
    await env.waitCondition("VM", "with-volume", "Ready", "True");
  });
});

describe("errors", () => {
  it("a flavor the catalog lacks stalls with a clear message before any create, and recovers when fixed", async () => {
    env.sandbox.resetCalls();
    await env.apply(
      obj("VM", "bad-flavor", { flavor: "std-3x9", image: "ubuntu-24.04", subnetRef: { name: "compute" } }),
    );
    await env.waitCondition("VM", "bad-flavor", "Stalled", "True", "InvalidSpec");
    const stalled = await env.condition("VM", "bad-flavor", "Stalled");
    expect(stalled?.message).toMatch(/spec\.flavor: std-3x9 is not a known flavor; known: .*std-1x4/);
    expect((await env.condition("VM", "bad-flavor", "Ready"))?.status).toBe("False");
    await new Promise((r) => setTimeout(r, 3_000));
    // Checked against the catalog (read at most once here), never sent to the cloud: no retry storm.
    expect(env.sandbox.calls({ method: "POST", template: "/v1/compute/servers" })).toHaveLength(0);
    expect(env.sandbox.calls({ method: "GET", template: "/v1/compute/flavors" }).length).toBeLessThanOrEqual(
      1,
    );
    await env.apply(
      obj("VM", "bad-flavor", { flavor: "std-1x4", image: "ubuntu-24.04", subnetRef: { name: "compute" } }),
    );
    await readyId("VM", "bad-flavor");
    expect((await env.condition("VM", "bad-flavor", "Stalled"))?.status).toBe("False");
  });

  it("an exhausted quota stalls (QuotaExceeded) with bounded calls, and recovers on the slow timer once raised", async () => {
    const vpcs = env.sandbox.state.list({ project: SAMPLE_PROJECT, kind: "vpc" }).length;
    env.sandbox.setQuotas({ vpcs });
    env.sandbox.resetCalls();
    await env.apply(obj("VPC", "over-quota", { cidr: "10.7.0.0/16" }));
    await env.waitCondition("VPC", "over-quota", "Stalled", "True", "QuotaExceeded");
    expect((await env.condition("VPC", "over-quota", "Stalled"))?.message).toMatch(/quota/i);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(env.sandbox.calls({ method: "POST", template: "/v1/network/vpcs" })).toHaveLength(1);
    env.sandbox.setQuotas({ vpcs: 100 });
    await readyId("VPC", "over-quota");
    // One refused create, then one accepted after the slow retry: no storm.
    expect(env.sandbox.calls({ method: "POST", template: "/v1/network/vpcs" }).length).toBeLessThanOrEqual(3);
  });
  it("a budget hard-stop stalls creates (clear message), leaves converged objects Ready, and recovers once lifted", async () => {
    env.sandbox.setBudgetExceeded(true, SAMPLE_PROJECT);
    await env.apply(obj("VPC", "over-budget", { cidr: "10.8.0.0/16" }));
    await env.waitCondition("VPC", "over-budget", "Stalled", "True", "QuotaExceeded");
    expect((await env.condition("VPC", "over-budget", "Stalled"))?.message).toMatch(/budget/i);
    expect((await env.condition("VPC", "drift", "Ready"))?.status).toBe("True");
    env.sandbox.setBudgetExceeded(false, SAMPLE_PROJECT);
    await readyId("VPC", "over-budget");
  });
});

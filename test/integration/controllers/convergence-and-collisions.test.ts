// Writes the cloud accepts but does not apply (NotConverging), 409s that cannot heal by waiting
// (Collision) and those that can (a dependency in transition), and cloud names that do not
// collide; against the real apiserver and the sandbox, with the operator in-process (resync 3 s
// and stalled retry 3 s, so "no more calls over later rounds" is observable within a test).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedKind } from "../../../src/controllers/generic/actuator.ts";
import { resolveInstallationID } from "../../../src/controllers/kube/installation.ts";
import { cloudName } from "../../../src/controllers/rest/resource.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { ed25519PublicKey } from "../../../sandbox/testing/fixtures.ts";
import { applyProviderConfig, createInCloud, startEnv, type Env } from "./support.ts";

const RESYNC_MS = 3_000;
const STALLED_RETRY_MS = 3_000;
/** Long enough for at least two resyncs and two stalled retries. */
const TWO_ROUNDS_MS = 2 * Math.max(RESYNC_MS, STALLED_RETRY_MS) + 2_000;

let env: Env;

beforeAll(async () => {
  env = await startEnv("collide", {
    resync: RESYNC_MS,
    stalledRetryMs: STALLED_RETRY_MS,
    // An ignored PATCH leaves the resource exactly as it was, so the collection observer (which
    // wakes an object when its resource changes) never wakes it: each further attempt waits for
    // this safety re-check (60 s by default, ~3 min to NotConverging; reported to the lead).
    timing: { watchFallbackMs: 2_000 },
    sandbox: { quotas: { vpcs: 20 } },
  });
  await applyProviderConfig(env);
});

afterAll(async () => {
  await env?.stop();
});

function obj(kind: ManagedKind, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "clouddigit.ai/v1alpha1", kind, metadata: { name }, spec };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates a resource directly in the cloud, as another tool would. */
const cloudCreate = (path: string, body: Record<string, unknown>): Promise<{ id: string }> =>
  createInCloud(env, path, body);

async function readyId(kind: ManagedKind, name: string): Promise<string> {
  await env.waitCondition(kind, name, "Ready", "True");
  return (await env.get(kind, name))?.status?.id ?? "";
}

/** Calls of `method` on `template` since `since` (sandbox clock = this process's clock). */
function callsOf(method: string, template: string, since: number, path?: string): number {
  return env.sandbox.calls({ method, template, since }).filter((c) => path === undefined || c.path === path)
    .length;
}

async function removeAll(kind: ManagedKind, ...names: string[]): Promise<void> {
  for (const name of names) await env.remove(kind, name);
  for (const name of names) await env.waitGone(kind, name);
}

describe("NotConverging on a REST kind", () => {
  it("stops after 3 PATCHes the cloud ignores, names field and values, and resumes on a spec change", async () => {
    await env.apply(obj("VPC", "stubborn", { cidr: "10.20.0.0/16", description: "first" }));
    const vpcId = await readyId("VPC", "stubborn");
    const path = `/v1/network/vpcs/${vpcId}`;
    const template = "/v1/network/vpcs/{id}";
    const faultId = env.sandbox.faults.add({ kind: "ignore", method: "PATCH", path: template });
    const since = Date.now();

    await env.apply(obj("VPC", "stubborn", { cidr: "10.20.0.0/16", description: "second" }));
    await env.waitCondition("VPC", "stubborn", "Stalled", "True", "NotConverging");
    const stalled = await env.condition("VPC", "stubborn", "Stalled");
    expect(stalled?.message).toContain("description");
    expect(stalled?.message).toContain("second"); // the spec's value
    expect(stalled?.message).toContain("first"); // what the cloud keeps reporting
    expect(callsOf("PATCH", template, since, path)).toBe(3);
    expect(env.sandbox.state.get(vpcId)).toMatchObject({ description: "first" });

    // Further resyncs and stalled retries read, but write no more for this generation.
    const reads = callsOf("GET", "/v1/network/vpcs", since) + callsOf("GET", template, since, path);
    await sleep(TWO_ROUNDS_MS);
    expect(callsOf("GET", "/v1/network/vpcs", since) + callsOf("GET", template, since, path)).toBeGreaterThan(
      reads,
    );
    expect(callsOf("PATCH", template, since, path)).toBe(3);
    expect((await env.condition("VPC", "stubborn", "Stalled"))?.reason).toBe("NotConverging");

    // A spec change is a new generation: the guard writes again (and, still ignored, stops again).
    await env.apply(obj("VPC", "stubborn", { cidr: "10.20.0.0/16", description: "third" }));
    await env.waitFor("3 more PATCHes", async () => callsOf("PATCH", template, since, path) >= 6);
    await env.waitFor("stalled on the new value", async () => {
      const c = await env.condition("VPC", "stubborn", "Stalled");
      return c?.status === "True" && c.reason === "NotConverging" && c.message.includes("third");
    });
    expect(callsOf("PATCH", template, since, path)).toBe(6);

    // Once the cloud applies writes again, the next spec change converges.
    env.sandbox.faults.remove(faultId);
    await env.apply(obj("VPC", "stubborn", { cidr: "10.20.0.0/16", description: "fourth" }));
    await env.waitFor("Ready after the fault is gone", async () => {
      const ready = await env.condition("VPC", "stubborn", "Ready");
      const o = await env.get("VPC", "stubborn");
      return ready?.status === "True" && o?.status?.observedGeneration === o?.metadata.generation;
    });
    expect((await env.condition("VPC", "stubborn", "Stalled"))?.status).toBe("False");
    expect(env.sandbox.state.get(vpcId)).toMatchObject({ description: "fourth" });
    await removeAll("VPC", "stubborn");
  });
});

describe("409 conflicts", () => {
  let installation: string;
  let vpcId: string;

  beforeAll(async () => {
    installation = await resolveInstallationID(env.client, undefined);
    await env.apply(obj("VPC", "pools", { cidr: "10.30.0.0/16" }));
    await env.apply(
      obj("Subnet", "pools", { vpcRef: { name: "pools" }, cidr: "10.30.1.0/24", zone: "bd-dha-1a" }),
    );
    await readyId("Subnet", "pools");
    vpcId = (await env.get("VPC", "pools"))?.status?.id ?? "";
  });

  afterAll(async () => {
    // Objects a failed test left behind would block the subnet's deletion.
    await removeAll("VM", "public", "crowded", "patient");
    await removeAll("SSHKey", "taken");
    // And what the tests made directly in the cloud (servers, subnets beside "pools").
    for (const server of env.sandbox.state.list({ kind: "server" })) env.sandbox.state.remove(server.id);
    const managed = (await env.get("Subnet", "pools"))?.status?.id;
    for (const subnet of env.sandbox.state.list({ kind: "subnet" }))
      if (subnet.id !== managed) env.sandbox.state.remove(subnet.id);
    await removeAll("Subnet", "pools");
    await removeAll("VPC", "pools");
  });

  /** Waits for Stalled=True Collision, then checks no create is sent over two more rounds. */
  async function stallsWithoutRetrying(
    kind: ManagedKind,
    name: string,
    collection: string,
    since: number,
    apiMessage: string,
  ): Promise<void> {
    await env.waitCondition(kind, name, "Stalled", "True", "Collision");
    const message = (await env.condition(kind, name, "Stalled"))?.message ?? "";
    expect(message).toContain(apiMessage);
    expect(message).toContain("change the spec, or remove what it collides with");
    expect((await env.condition(kind, name, "Reconciling"))?.status).toBe("False");
    const creates = callsOf("POST", collection, since);
    expect(creates).toBeGreaterThanOrEqual(1);
    await sleep(TWO_ROUNDS_MS);
    expect(callsOf("POST", collection, since)).toBe(creates);
    expect((await env.condition(kind, name, "Stalled"))?.reason).toBe("Collision");
  }

  it("an SSH key whose cloud name another key already has stalls (Collision)", async () => {
    const name = "taken";
    const taken = cloudName({ metadata: { namespace: env.namespace, name } } as never, installation);
    await cloudCreate("/compute/ssh-keys", { name: taken, public_key: ed25519PublicKey() });
    const since = Date.now();
    await env.apply(obj("SSHKey", name, { publicKey: ed25519PublicKey() }));
    await stallsWithoutRetrying(
      "SSHKey",
      name,
      "/v1/compute/ssh-keys",
      since,
      `an SSH key named '${taken}' already exists`,
    );
    await removeAll("SSHKey", name);
  });

  it("a VM asking for a public IP when the region has none left stalls (Collision)", async () => {
    env.sandbox.setPublicIps(0);
    try {
      const since = Date.now();
      await env.apply(
        obj("VM", "public", {
          flavor: "std-1x4",
          image: "debian-12",
          subnetRef: { name: "pools" },
          publicIP: true,
        }),
      );
      await stallsWithoutRetrying(
        "VM",
        "public",
        "/v1/compute/servers",
        since,
        "no public IP addresses left in the region",
      );
      expect(env.sandbox.state.list({ kind: "server" })).toEqual([]);
    } finally {
      env.sandbox.setPublicIps(2 ** 17 - 2);
    }
    await removeAll("VM", "public");
  });

  it("a VM in a subnet with no free address stalls (Collision)", async () => {
    // A /28 hands out 11 addresses; another tool takes them all.
    const full = await cloudCreate("/network/subnets", {
      name: "full",
      vpc_id: vpcId,
      cidr: "10.30.2.0/28",
      zone: "bd-dha-1a",
    });
    await env.waitFor("subnet active", async () => env.sandbox.state.get(full.id)?.state === "active");
    const base = { flavor: "std-1x4", image: "debian-12", subnet_id: full.id };
    for (let i = 0; i < 11; i++) await cloudCreate("/compute/servers", { ...base, name: `squatter-${i}` });
    const since = Date.now();
    await env.apply(obj("VM", "crowded", { flavor: "std-1x4", image: "debian-12", subnetID: full.id }));
    await stallsWithoutRetrying(
      "VM",
      "crowded",
      "/v1/compute/servers",
      since,
      `subnet ${full.id} has no free addresses`,
    );
    await removeAll("VM", "crowded");
    for (const server of env.sandbox.state.list({ kind: "server" })) env.sandbox.state.remove(server.id);
    env.sandbox.state.remove(full.id);
  });

  it("a VM whose subnet is still in transition keeps retrying (invalid_state heals), then converges", async () => {
    env.sandbox.faults.stickTransitions({ kind: "subnet", operation: "create" });
    let pending: { id: string };
    try {
      pending = await cloudCreate("/network/subnets", {
        name: "pending",
        vpc_id: vpcId,
        cidr: "10.30.3.0/24",
        zone: "bd-dha-1a",
      });
      const since = Date.now();
      await env.apply(obj("VM", "patient", { flavor: "std-1x4", image: "debian-12", subnetID: pending.id }));
      await env.waitFor("two refused creates", async () => {
        const refused = env.sandbox
          .calls({ method: "POST", template: "/v1/compute/servers", since, status: 409 })
          .filter((c) => c.error_code === "invalid_state");
        return refused.length >= 2;
      });
      expect((await env.condition("VM", "patient", "Stalled"))?.status).not.toBe("True");
      expect((await env.condition("VM", "patient", "Ready"))?.status).not.toBe("True");
    } finally {
      env.sandbox.faults.unstickTransitions();
    }
    const vmId = await readyId("VM", "patient");
    expect(env.sandbox.state.get(vmId)).toMatchObject({ subnet_id: pending.id });
    await removeAll("VM", "patient");
    env.sandbox.state.remove(pending.id);
  });
});

describe("cloud names", () => {
  it("an SSH key is created beside a key holding its plain <namespace>-<name>, and its name says whose it is", async () => {
    // What another namespace's object (`<ns>/web` vs `<ns-prefix>/…-web`) or another installation
    // would have been given under a plain `<namespace>-<name>` scheme.
    const plain = `${env.namespace}-web`;
    await cloudCreate("/compute/ssh-keys", { name: plain, public_key: ed25519PublicKey() });
    await env.apply(obj("SSHKey", "web", { publicKey: ed25519PublicKey() }));
    const keyId = await readyId("SSHKey", "web");
    const installation = await resolveInstallationID(env.client, undefined);
    const created = env.sandbox.state.get(keyId) as { name: string } | undefined;
    expect(created?.name).toBe(
      cloudName({ metadata: { namespace: env.namespace, name: "web" } } as never, installation),
    );
    expect(created?.name).toMatch(new RegExp(`^${plain}-[0-9a-f]{10}$`));
    await removeAll("SSHKey", "web");
  });
});

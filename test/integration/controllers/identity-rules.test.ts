// The identity rules that keep a resource from being duplicated or lost, against the real
// apiserver and the sandbox: a provider scope change (another ProviderConfig, or the config's
// project) stalls ScopeChanged instead of re-creating; a data-bearing resource deleted outside
// Kubernetes stalls DeletedExternally instead of coming back empty; an import whose immutable
// fields differ from the spec stalls ImportMismatch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedKind } from "../../../src/controllers/generic/actuator.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { sampleObjects } from "./manifests.ts";
import {
  applyProviderConfig,
  createInCloud,
  SAMPLE_PROJECT,
  SAMPLE_TOKEN,
  startEnv,
  type Env,
} from "./support.ts";

const OTHER_PROJECT = "other";

let env: Env;

beforeAll(async () => {
  env = await startEnv("identity", {
    // The drift resync finds an out-of-band deletion; short, so it does within the test.
    resync: 3_000,
    stalledRetryMs: 3_000,
    sandbox: {
      tokens: [{ token: SAMPLE_TOKEN, projects: [SAMPLE_PROJECT, OTHER_PROJECT], name: "samples" }],
    },
  });
  await applyProviderConfig(env);
});

afterAll(async () => {
  await env?.stop();
});

function obj(kind: ManagedKind, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "clouddigit.ai/v1alpha1", kind, metadata: { name }, spec };
}

/** The sample ProviderConfig under another name and project. */
function providerConfig(name: string, project: string): KubeObject {
  const sample = sampleObjects(env.sandbox.url).find((o) => o.kind === "ProviderConfig");
  if (!sample) throw new Error("the samples have no ProviderConfig");
  return {
    ...sample,
    metadata: { name },
    spec: { ...(sample.spec as Record<string, unknown>), project },
  };
}

/** Writes (POST, PATCH, PUT, DELETE) the sandbox saw since `since`. */
function writesSince(since: number): string[] {
  return env.sandbox
    .calls({ since })
    .filter((c) => c.method !== "GET")
    .map((c) => `${c.method} ${c.path}`);
}

async function readyId(kind: ManagedKind, name: string): Promise<string> {
  await env.waitCondition(kind, name, "Ready", "True");
  return (await env.get(kind, name))?.status?.id ?? "";
}

describe("scope changes", () => {
  it("pointing an object at a ProviderConfig of another project stalls ScopeChanged: nothing created or deleted", async () => {
    await env.apply(providerConfig("elsewhere", OTHER_PROJECT));
    await env.apply(obj("VPC", "moved", { cidr: "10.50.0.0/16" }));
    const id = await readyId("VPC", "moved");
    expect((await env.get("VPC", "moved"))?.status?.scope).toBe(`${SAMPLE_PROJECT}@bd-dha-1`);
    const since = Date.now();
    await env.apply(obj("VPC", "moved", { cidr: "10.50.0.0/16", providerConfigRef: { name: "elsewhere" } }));
    await env.waitCondition("VPC", "moved", "Stalled", "True", "ScopeChanged");
    const message = (await env.condition("VPC", "moved", "Ready"))?.message ?? "";
    expect(message).toContain(`lives in ${SAMPLE_PROJECT}@bd-dha-1`);
    expect(message).toContain(`${OTHER_PROJECT}@bd-dha-1`);
    // Deleting it while it points elsewhere waits too: a delete there would find nothing and the
    // real VPC would leak.
    await env.remove("VPC", "moved");
    await env.waitFor("the deletion to stall", async () => {
      const o = await env.get("VPC", "moved");
      return (
        o?.status?.conditions?.some((c) => c.type === "Stalled" && c.message.startsWith("cannot delete")) ??
        false
      );
    });
    expect(writesSince(since)).toEqual([]);
    expect(env.sandbox.state.get(id)).toBeDefined();
    // Pointed back, the deletion goes ahead in the right project.
    await env.apply(obj("VPC", "moved", { cidr: "10.50.0.0/16", providerConfigRef: { name: "default" } }));
    await env.waitGone("VPC", "moved");
    expect(env.sandbox.state.get(id)).toBeUndefined();
  });

  it("changing the project of the ProviderConfig an object uses stalls ScopeChanged the same way", async () => {
    await env.apply(providerConfig("movable", SAMPLE_PROJECT));
    await env.apply(obj("VPC", "stays", { cidr: "10.51.0.0/16", providerConfigRef: { name: "movable" } }));
    const id = await readyId("VPC", "stays");
    const since = Date.now();
    await env.apply(providerConfig("movable", OTHER_PROJECT));
    await env.waitCondition("VPC", "stays", "Stalled", "True", "ScopeChanged");
    expect(writesSince(since)).toEqual([]);
    await env.apply(providerConfig("movable", SAMPLE_PROJECT));
    await env.waitCondition("VPC", "stays", "Ready", "True");
    expect((await env.get("VPC", "stays"))?.status?.id).toBe(id);
    await env.remove("VPC", "stays");
    await env.waitGone("VPC", "stays");
  });
});

describe("onExternalDelete", () => {
  it("a Volume deleted outside Kubernetes stalls DeletedExternally (keeping its ID) until the spec says Recreate", async () => {
    const spec = { sizeGiB: 10, type: "nvme", zone: "bd-dha-1a" };
    await env.apply(obj("Volume", "data", spec));
    const id = await readyId("Volume", "data");
    const since = Date.now();
    env.sandbox.state.remove(id);
    await env.waitCondition("Volume", "data", "Stalled", "True", "DeletedExternally");
    expect((await env.get("Volume", "data"))?.status?.id).toBe(id);
    expect(writesSince(since)).toEqual([]);
    await env.apply(obj("Volume", "data", { ...spec, onExternalDelete: "Recreate" }));
    await env.waitFor("a new volume", async () => {
      const o = await env.get("Volume", "data");
      return (
        !!o?.status?.id &&
        o.status.id !== id &&
        o.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true
      );
    });
    await env.remove("Volume", "data");
    await env.waitGone("Volume", "data");
  });
});

describe("import verification", () => {
  it("importing a VPC whose CIDR differs from the spec stalls ImportMismatch and writes nothing", async () => {
    const existing = await createInCloud(env, "/network/vpcs", {
      name: "made-elsewhere",
      cidr: "10.52.0.0/16",
    });
    const since = Date.now();
    await env.apply(obj("VPC", "imported", { cidr: "10.53.0.0/16", importID: existing.id }));
    await env.waitCondition("VPC", "imported", "Stalled", "True", "ImportMismatch");
    const message = (await env.condition("VPC", "imported", "Ready"))?.message ?? "";
    expect(message).toContain('cidr: spec "10.53.0.0/16", cloud "10.52.0.0/16"');
    expect(writesSince(since)).toEqual([]);
    await env.remove("VPC", "imported");
    await env.waitGone("VPC", "imported");
    expect(env.sandbox.state.get(existing.id)).toBeDefined();
    env.sandbox.state.remove(existing.id);
  });
});

// Two replicas with leader election: only the leader reconciles (the standby's reconcile counters
// stay at zero while its caches are warm), and when the leader stops, the standby takes over and
// keeps converging objects.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../../sandbox/server.ts";
import { resourceType, SECRET_RESOURCE } from "../../../src/controllers/kube/resources.ts";
import { configSchema, startOperator } from "../../../src/main.ts";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { waitUntil } from "../../support/process.ts";
import { installCrds, sampleObjects } from "./manifests.ts";

type Operator = Awaited<ReturnType<typeof startOperator>>;

let client: KubeClient;
let sandbox: Sandbox;
let namespace: string;
const replicas: Operator[] = [];

async function reconciles(op: Operator): Promise<number> {
  const metric = await op.manager.registry.getSingleMetric("clouddigit_reconcile_outcomes_total")?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

async function ready(name: string): Promise<boolean> {
  const o = (await client.get(resourceType("VPC"), namespace, name)) as {
    status?: { conditions?: Array<{ type: string; status: string }> };
  };
  return o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

async function createVpc(name: string, cidr: string): Promise<void> {
  await client.create(resourceType("VPC"), {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "VPC",
    metadata: { name, namespace },
    spec: { cidr },
  });
}

beforeAll(async () => {
  const kc = testCluster().kubeConfig();
  client = new KubeClient(kc);
  await installCrds(client);
  namespace = await createNamespace(kc, "ha");
  sandbox = await startSandbox({
    tokens: [{ token: "cd_sandbox_demo_token", projects: ["demo"], name: "samples" }],
    delays: { vpc: 100 },
  });
  for (const obj of sampleObjects(sandbox.url)) {
    if (obj.kind !== "Secret" && obj.kind !== "ProviderConfig") continue;
    const rt = obj.kind === "Secret" ? SECRET_RESOURCE : resourceType("ProviderConfig");
    await client.create(rt, { ...obj, metadata: { ...obj.metadata, namespace } });
  }
  const config = {
    ...configSchema.parse({ logLevel: process.env.OPERATOR_LOG_LEVEL ?? "warn" }),
    namespaces: [namespace],
    healthAddress: { host: "127.0.0.1", port: 0 },
    pollInterval: 250,
    leaderElect: true,
    leaderElectionNamespace: namespace,
  };
  replicas.push(await startOperator(config, kc));
  await waitUntil("a leader", async () => replicas[0]?.manager.isLeader() ?? false, { timeoutMs: 30_000 });
  replicas.push(await startOperator(config, kc));
});

afterAll(async () => {
  for (const r of replicas) await r.stop();
  await sandbox?.close();
});

describe("two replicas", () => {
  it("only the leader reconciles", async () => {
    const [leader, standby] = replicas as [Operator, Operator];
    expect(leader.manager.isLeader()).toBe(true);
    await createVpc("first", "10.1.0.0/16");
    await waitUntil("first Ready", () => ready("first"), { timeoutMs: 60_000, intervalMs: 200 });
    expect(standby.manager.isLeader()).toBe(false);
    expect(await reconciles(leader)).toBeGreaterThan(0);
    expect(await reconciles(standby)).toBe(0);
  });

  it("the standby takes over when the leader stops", async () => {
    const [leader, standby] = replicas as [Operator, Operator];
    await leader.stop();
    await waitUntil("standby leads", async () => standby.manager.isLeader(), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    await createVpc("second", "10.2.0.0/16");
    await waitUntil("second Ready", () => ready("second"), { timeoutMs: 60_000, intervalMs: 200 });
    expect(await reconciles(standby)).toBeGreaterThan(0);
    expect(sandbox.state.list({ kind: "vpc" })).toHaveLength(2);
  });
});

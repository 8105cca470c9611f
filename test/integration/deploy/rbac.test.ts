// RBAC proven on the real apiserver: the operator runs with a TokenRequest token of the chart's
// ServiceAccount, bound only by the chart's rendered RBAC (namespace-scoped mode and cluster-wide
// mode), and the samples converge and delete; the apiserver forbade none of its requests; and
// every permission the chart grants was used by the operator in these runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRANTS } from "../../../scripts/deploy/rbac.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { installCrds, SAMPLE_PROJECT } from "../controllers/support.ts";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import { waitUntil } from "../../support/process.ts";
import { permissionOf, startScenario, type Scenario } from "./rbac-scenario.ts";
import type { AuditEntry } from "./support.ts";

const used = new Set<string>();
const forbidden: AuditEntry[] = [];

async function convergeAndDelete(scenario: Scenario): Promise<void> {
  await scenario.applySamples();
  await scenario.applyOidcProbe();
  await scenario.waitReady(90_000);
  for (const obj of await Promise.all(
    (["VPC", "Subnet", "SSHKey", "Volume", "VM"] as const).map((k) =>
      scenario.get(
        k,
        { VPC: "web", Subnet: "web-a", SSHKey: "platform", Volume: "web-data", VM: "web-1" }[k],
      ),
    ),
  )) {
    expect(obj?.status?.id, obj?.metadata.name).toBeTruthy();
    expect(obj?.metadata.finalizers).toEqual(["clouddigit.ai/cleanup"]);
  }
  // The per-tenant OIDC probe got past the TokenRequest (RBAC) and failed only at the identity
  // endpoint, which is closed on purpose.
  await waitUntil(
    "the OIDC probe reports the unreachable identity endpoint",
    async () => {
      const synced = (await scenario.get("VPC", "oidc-probe"))?.status?.conditions?.find(
        (c) => c.type === "Synced",
      );
      return synced?.status === "False" && /identity endpoint/.test(synced.message);
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  const probe = (await scenario.get("VPC", "oidc-probe"))?.status?.conditions?.find(
    (c) => c.type === "Synced",
  );
  expect(probe?.message).not.toMatch(/may not create tokens|forbidden/i);

  await scenario.pauseTwice("VPC", "web", 30_000);
  await scenario.deleteSamples(90_000);
  expect(scenario.sandbox.state.list({ project: SAMPLE_PROJECT })).toEqual([]);
  await scenario.bucketLifecycle(60_000);
  await scenario.clusterProviderConfig(30_000);
}

/** Stops the operator (which flushes pending Event series) and records what it asked the apiserver. */
async function stopAndRecord(scenario: Scenario): Promise<void> {
  await scenario.stop();
  // Let the audit log catch up with the last requests.
  await new Promise((r) => setTimeout(r, 1000));
  const requests = scenario.requests();
  expect(requests.length).toBeGreaterThan(20);
  for (const r of requests) used.add(permissionOf(r));
  forbidden.push(...requests.filter((r) => r.code === 403));
}

describe("the operator under the chart's RBAC only", () => {
  let releaseNamespace: string;
  beforeAll(async () => {
    await installCrds(new KubeClient(testCluster().kubeConfig()));
    releaseNamespace = await createNamespace(testCluster().kubeConfig(), "rbac-op");
  });

  it("namespace-scoped mode (Roles in the watched namespace): samples converge and delete", async () => {
    const watched = await createNamespace(testCluster().kubeConfig(), "rbac-ns");
    const scenario = await startScenario({
      release: `ns-${watched.slice(-6)}`,
      releaseNamespace,
      watchedNamespace: watched,
      values: { watchNamespaces: [watched] },
    });
    try {
      expect(scenario.rbac.filter((o) => o.kind === "ClusterRole")).toHaveLength(1);
      await convergeAndDelete(scenario);
    } finally {
      await stopAndRecord(scenario);
    }
  });

  it("cluster-wide mode (one ClusterRole): samples converge and delete", async () => {
    const watched = await createNamespace(testCluster().kubeConfig(), "rbac-cw");
    const scenario = await startScenario({
      release: `cw-${watched.slice(-6)}`,
      releaseNamespace,
      watchedNamespace: watched,
    });
    try {
      // The operator itself is told to watch one namespace so it leaves other tests' objects
      // alone; its permissions are the cluster-wide ones.
      expect(scenario.rbac.filter((o) => o.kind === "Role")).toHaveLength(1); // leader election only
      await convergeAndDelete(scenario);
    } finally {
      await stopAndRecord(scenario);
    }
  });

  afterAll(() => {
    // Printed for the record: which permissions the runs used.
    console.log(`[rbac] permissions used by the operator: ${[...used].sort().join(", ")}`);
  });

  it("the apiserver forbade none of the operator's requests", () => {
    expect(used.size).toBeGreaterThan(0);
    expect(forbidden.map((f) => `${permissionOf(f)} ${f.namespace}/${f.name}`)).toEqual([]);
  });

  it("every verb the chart grants was used by the operator (nothing granted in vain)", () => {
    expect(used.size).toBeGreaterThan(0);
    const granted = GRANTS.flatMap((g) =>
      g.rule.resources.flatMap((resource) =>
        g.rule.verbs.map((verb) => permissionOf({ verb, apiGroup: g.rule.apiGroups[0] ?? "", resource })),
      ),
    );
    expect(granted.filter((p) => !used.has(p))).toEqual([]);
  });
});

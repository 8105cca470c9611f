// Every namespace its own cloud identity: two tenants' ProviderConfigs use OIDC with a
// ServiceAccount of their own namespace; the operator requests a token for each (TokenRequest),
// exchanges it at a real Keycloak, and the sandbox sees each tenant's calls under its own client.
// A tenant naming a ServiceAccount it does not have gets a clear condition, and cannot borrow one
// from another namespace.
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../../sandbox/server.ts";
import { resourceType } from "../../../src/controllers/kube/resources.ts";
import { configSchema, startOperator } from "../../../src/main.ts";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { startKeycloak, type Keycloak, type Realm } from "../../support/keycloak.ts";
import { waitUntil } from "../../support/process.ts";
import { installCrds } from "./manifests.ts";

const API_AUDIENCE = "clouddigit-api";

let keycloak: Keycloak;
let realm: Realm;
let sandbox: Sandbox;
let client: KubeClient;
let operator: Awaited<ReturnType<typeof startOperator>>;
let teamA: string;
let teamB: string;
/** Has a ServiceAccount "cloud", but no Keycloak client trusts it. */
let teamC: string;
/** Has no ServiceAccount at all. */
let teamD: string;

function providerConfig(namespace: string, clientID: string, serviceAccountName: string): KubeObject {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "ProviderConfig",
    metadata: { name: "default", namespace },
    spec: {
      region: "bd-dha-1",
      project: "tenants",
      endpoints: { api: sandbox.url, identity: realm.issuer },
      credentials: { source: "OIDC", oidc: { clientID, serviceAccountName } },
    },
  };
}

const vpc = (namespace: string, name: string, cidr: string): KubeObject => ({
  apiVersion: "clouddigit.ai/v1alpha1",
  kind: "VPC",
  metadata: { name, namespace },
  spec: { cidr },
});

async function condition(
  namespace: string,
  type: string,
  name = "net",
): Promise<{ status: string; reason: string; message: string } | undefined> {
  const o = (await client.get(resourceType("VPC"), namespace, name)) as {
    status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
  };
  return o.status?.conditions?.find((c) => c.type === type);
}

beforeAll(async () => {
  const cluster = testCluster();
  const kc = cluster.kubeConfig();
  client = new KubeClient(kc);
  await installCrds(client);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  teamA = await createNamespace(kc, "tenant-a");
  teamB = await createNamespace(kc, "tenant-b");
  teamC = await createNamespace(kc, "tenant-c");
  teamD = await createNamespace(kc, "tenant-d");
  for (const ns of [teamA, teamB, teamC]) {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "cloud" } } });
  }
  keycloak = await startKeycloak({ trustedCaPem: cluster.caCertPem });
  realm = await keycloak.createRealm({
    name: "clouddigit",
    kubernetesIssuer: cluster.issuer,
    clients: [
      { clientId: "tenant-a", serviceAccount: { namespace: teamA, name: "cloud" } },
      { clientId: "tenant-b", serviceAccount: { namespace: teamB, name: "cloud" } },
    ],
    apiAudience: API_AUDIENCE,
  });
  sandbox = await startSandbox({
    oidc: { issuer: realm.issuer, audience: API_AUDIENCE, acceptAzpAsAudience: false },
  });
  operator = await startOperator(
    {
      ...configSchema.parse({ logLevel: process.env.OPERATOR_LOG_LEVEL ?? "warn" }),
      namespaces: [teamA, teamB, teamC, teamD],
      healthAddress: { host: "127.0.0.1", port: 0 },
      pollInterval: 250,
    },
    kc,
  );
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  await sandbox?.close();
  await keycloak?.stop();
});

describe("per-namespace workload identity", () => {
  it("each tenant's objects reach the cloud as that tenant's own OIDC client", async () => {
    for (const [ns, clientId] of [
      [teamA, "tenant-a"],
      [teamB, "tenant-b"],
    ] as const) {
      await client.create(resourceType("ProviderConfig"), providerConfig(ns, clientId, "cloud"));
      await client.create(resourceType("VPC"), vpc(ns, "net", "10.1.0.0/16"));
    }
    for (const ns of [teamA, teamB]) {
      await waitUntil(`VPC ${ns}/net Ready`, async () => (await condition(ns, "Ready"))?.status === "True", {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
    }
    const creators = sandbox
      .calls({ method: "POST", template: "/v1/network/vpcs" })
      .filter((c) => c.status === 202)
      .map((c) => c.token ?? "");
    expect(creators).toHaveLength(2);
    expect(creators.some((t) => t.startsWith("oidc:tenant-a:"))).toBe(true);
    expect(creators.some((t) => t.startsWith("oidc:tenant-b:"))).toBe(true);
  });

  it("a tenant naming another tenant's client is refused by the identity provider (Stalled, Unauthenticated)", async () => {
    // tenant-c names tenant-a's client; the operator can only present tenant-c's own token.
    await client.create(resourceType("ProviderConfig"), providerConfig(teamC, "tenant-a", "cloud"));
    await client.create(resourceType("VPC"), vpc(teamC, "net", "10.3.0.0/16"));
    await waitUntil(
      "tenant-c VPC stalled",
      async () => (await condition(teamC, "Stalled"))?.status === "True",
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    const stalled = await condition(teamC, "Stalled");
    expect(stalled?.reason).toBe("Unauthenticated");
    expect(stalled?.message).toContain(`ServiceAccount ${teamC}/cloud`);
    expect(stalled?.message).toContain('client "tenant-a"');
    // Nothing was created for tenant-c: the two VPCs of tenants a and b are all there is.
    expect(
      sandbox.calls({ method: "POST", template: "/v1/network/vpcs" }).filter((c) => c.status === 202),
    ).toHaveLength(2);
    expect(sandbox.state.list({ kind: "vpc" })).toHaveLength(2);
  });

  it("a tenant naming a ServiceAccount it does not have gets a clear condition", async () => {
    await client.create(resourceType("ProviderConfig"), providerConfig(teamD, "tenant-d", "cloud"));
    await client.create(resourceType("VPC"), vpc(teamD, "net", "10.4.0.0/16"));
    await waitUntil(
      "tenant-d VPC not synced",
      async () => (await condition(teamD, "Synced"))?.status === "False",
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    expect((await condition(teamD, "Synced"))?.message).toContain(
      `ServiceAccount ${teamD}/cloud does not exist`,
    );
  });
});

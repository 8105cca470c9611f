// Rebuilt and twin clusters against one cloud (docs/rebuild-and-twins.md), with two real control
// planes (the shared test cluster and a fresh one with its own etcd), the sandbox and a real S3
// server:
// - rebuild: the same manifests applied to a fresh cluster by an operator with the same
//   installation ID adopt every resource (no create) at a bounded number of lists;
// - twins: a second installation reports ManagedElsewhere and writes nothing; an explicit
//   take-over moves one resource once, and the first installation then leaves it alone.
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../../sandbox/server.ts";
import type { ManagedKind } from "../../../src/controllers/generic/actuator.ts";
import { NAME_TAG, TAKEOVER_ANNOTATION } from "../../../src/controllers/generic/ownership.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { startControlPlane, type ControlPlane } from "../../support/control-plane.ts";
import { waitUntil } from "../../support/process.ts";
import { startS3Server, type S3Server } from "../../support/s3-server.ts";
import { startCountingProxy, type CountingProxy } from "../bucket/support.ts";
import {
  abandonNamespace,
  applyAndConverge,
  callTable,
  clusterSide,
  managed,
  manifests,
  PROJECT,
  s3Table,
  TOKEN,
  type ClusterSide,
} from "./support.ts";

let sandbox: Sandbox;
let s3Server: S3Server;
let proxy: CountingProxy;
let s3: S3Client;
let planeB: ControlPlane;

beforeAll(async () => {
  sandbox = await startSandbox({
    tokens: [{ token: TOKEN, projects: [PROJECT], name: "samples" }],
    delays: { vpc: 100, subnet: 100, server: 200, volume: 100 },
    quotas: { vpcs: 50 },
  });
  s3Server = await startS3Server();
  proxy = await startCountingProxy(s3Server.endpoint);
  s3 = new S3Client({
    endpoint: s3Server.endpoint,
    region: s3Server.region,
    credentials: { accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey },
    forcePathStyle: true,
  });
  planeB = await startControlPlane();
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await planeB?.stop();
  await proxy?.close();
  await s3Server?.stop();
  await sandbox?.close();
});

/** Cloud resources of the sandbox project, by kind, and the S3 buckets. */
async function cloudInventory(): Promise<{ rest: number; buckets: number }> {
  const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
  return { rest: sandbox.state.list({ project: PROJECT }).length, buckets: buckets.length };
}

function writesSince(since: number): string[] {
  return sandbox
    .calls({ since })
    .filter((c) => c.method !== "GET")
    .map((c) => `${c.method} ${c.path}`);
}

/** The REST lists that ask for every resource carrying a name tag (adoption lookups), by path. */
function nameLookups(since: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of sandbox.calls({ since, method: "GET" })) {
    const query = new URLSearchParams(c.query);
    // A lookup's first page; later pages of the same lookup carry a cursor.
    if (!query.getAll("tag").includes(NAME_TAG) || query.has("cursor")) continue;
    counts.set(c.path, (counts.get(c.path) ?? 0) + 1);
  }
  return counts;
}

const REST_LISTS = [
  "/v1/compute/servers",
  "/v1/compute/ssh-keys",
  "/v1/network/subnets",
  "/v1/network/vpcs",
  "/v1/storage/volumes",
];

function s3WritesSince(from: number): string[] {
  return proxy.requests
    .slice(from)
    .filter((r) => r.method !== "GET" && r.method !== "HEAD")
    .map((r) => `${r.method} ${r.path}?${r.query.join("&")}`);
}

describe("rebuilding a cluster from Git", () => {
  it("a fresh cluster with the same installation ID adopts every resource: 0 creates, the old IDs, bounded lists", async () => {
    const namespace = await createNamespace(testCluster().kubeConfig(), "rebuild");
    const objects = manifests(
      sandbox,
      { server: s3Server, proxy },
      { groups: 10, withVm: 5, prefix: namespace, cidrBase: 100 },
    );
    const kinds = managed(objects);
    expect(kinds.length).toBeGreaterThanOrEqual(55);
    const a = await clusterSide(testCluster().kubeConfig(), namespace);
    await a.startOperator("platform-prod", 60_000);
    let b: ClusterSide | undefined;
    try {
      const before = await applyAndConverge(a, objects);
      await a.stopOperator();
      const inventory = await cloudInventory();
      expect(inventory.buckets).toBe(5);

      // The rebuilt cluster: a new etcd, the same manifests, no status, new UIDs.
      const since = Date.now();
      const s3From = proxy.requests.length;
      b = await clusterSide(planeB.kubeConfig(), namespace);
      await b.startOperator("platform-prod", 60_000);
      const after = await applyAndConverge(b, objects);

      expect(Object.fromEntries(after)).toEqual(Object.fromEntries(before));
      expect(sandbox.calls({ since, method: "POST" }).map((c) => c.path)).toEqual([]);
      // CreateBucket is a PUT of the bucket itself, without a query (tagging and the rest have one).
      expect(s3WritesSince(s3From).filter((w) => /^PUT \/[^/?]+\?$/.test(w))).toEqual([]);
      expect(await cloudInventory()).toEqual(inventory);
      // Adoption looks names up in one list per kind and credential, not one search per object
      // (a second one follows the config's first credential check, which renews its clients).
      const lookups = nameLookups(since);
      expect([...lookups.keys()].sort()).toEqual(REST_LISTS);
      for (const [call, count] of lookups) expect(count, call).toBeLessThanOrEqual(2);
      const rest = callTable(sandbox, since);
      console.log(
        `rebuild of ${kinds.length} objects: name lookups ${[...lookups].map(([k, c]) => `${k} ×${c}`).join(", ")}; ` +
          `${rest.reduce((n, [, c]) => n + c, 0)} REST calls (${rest.map(([k, c]) => `${k} ×${c}`).join(", ")}); ` +
          `S3: ${s3Table(proxy, s3From)
            .map(([k, c]) => `${k} ×${c}`)
            .join(", ")}`,
      );
    } finally {
      await a.stopOperator();
      await b?.stopOperator();
      await abandonNamespace(a, objects);
      if (b) await abandonNamespace(b, objects);
    }
  }, 600_000);
});

describe("two clusters on one cloud", () => {
  const TWIN_1 = "cluster-blue";
  const TWIN_2 = "cluster-green";
  const RESYNC = 3_000;

  it("the second installation reports ManagedElsewhere and writes nothing; a take-over moves one resource once", async () => {
    const namespace = await createNamespace(testCluster().kubeConfig(), "twins");
    const all = manifests(
      sandbox,
      { server: s3Server, proxy },
      { groups: 2, withVm: 1, prefix: namespace, cidrBase: 200 },
    );
    // The VM and the Subnet wait for dependencies the twin does not manage; the resources
    // themselves are what this test is about.
    const objects = all.filter((o) => o.kind !== "VM");
    const blue = await clusterSide(testCluster().kubeConfig(), namespace);
    const green = await clusterSide(planeB.kubeConfig(), namespace);
    await blue.startOperator(TWIN_1, RESYNC);
    try {
      const ids = await applyAndConverge(blue, objects);
      await green.startOperator(TWIN_2, RESYNC);
      for (const o of objects) await green.apply(o);
      const independent = managed(objects).filter(({ kind }) => kind !== "Subnet");
      await waitUntil(
        "every twin object ManagedElsewhere",
        async () => {
          for (const { kind, name } of independent) {
            if ((await green.condition(kind, name, "Stalled"))?.reason !== "ManagedElsewhere") return false;
          }
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 300 },
      );
      const message = (await green.condition("VPC", "net-0", "Ready")) as { message?: string } | undefined;
      expect(message?.message).toContain(`${TAKEOVER_ANNOTATION}=${TWIN_1}`);

      // Three resyncs of both operators: neither writes a tag, a spec field or anything else.
      const since = Date.now();
      const s3From = proxy.requests.length;
      await new Promise((r) => setTimeout(r, 3 * RESYNC + 1_000));
      expect(writesSince(since)).toEqual([]);
      expect(s3WritesSince(s3From)).toEqual([]);
      for (const { kind, name } of managed(objects)) {
        expect((await blue.condition(kind, name, "Ready"))?.status, `${kind}/${name} on ${TWIN_1}`).toBe(
          "True",
        );
      }

      // The take-over: green's VPC names blue; green re-tags it once, and blue stands down.
      const vpcId = ids.get("VPC/net-0") ?? "";
      const takeoverSince = Date.now();
      const vpc = objects.find((o) => o.kind === "VPC" && o.metadata.name === "net-0");
      if (!vpc) throw new Error("no VPC net-0");
      await green.apply({
        ...vpc,
        metadata: { ...vpc.metadata, annotations: { [TAKEOVER_ANNOTATION]: TWIN_1 } },
      });
      await waitUntil(
        "green owns net-0 and blue stands down",
        async () =>
          (await green.condition("VPC", "net-0", "Ready"))?.status === "True" &&
          (await blue.condition("VPC", "net-0", "Stalled"))?.reason === "ManagedElsewhere",
        { timeoutMs: 60_000, intervalMs: 300 },
      );
      const taken = await green.get("VPC", "net-0");
      expect(taken?.status?.id).toBe(vpcId);
      expect((taken?.status as { takeover?: { from?: string } } | undefined)?.takeover?.from).toBe(TWIN_1);
      expect(sandbox.state.get(vpcId)?.tags).toMatchObject({ "clouddigit.ai/installation": TWIN_2 });
      // And it stays there: over three more resyncs, the one write is green's re-tagging.
      await new Promise((r) => setTimeout(r, 3 * RESYNC + 1_000));
      const writes = writesSince(takeoverSince);
      expect(writes).toEqual([expect.stringContaining(vpcId)]);
      expect(sandbox.state.get(vpcId)?.tags).toMatchObject({ "clouddigit.ai/installation": TWIN_2 });

      // Deleting the twin's objects deletes nothing of blue's.
      const before = sandbox.state.list({ project: PROJECT }).length;
      for (const { kind, name } of managed(objects).filter((o) => o.kind === ("Volume" as ManagedKind))) {
        await green.client.delete(
          {
            group: "clouddigit.ai",
            version: "v1alpha1",
            plural: "volumes",
            kind: "Volume",
            namespaced: true,
          },
          namespace,
          name,
        );
        await waitUntil(
          `${kind} ${name} gone on ${TWIN_2}`,
          async () => (await green.get(kind, name)) === undefined,
          {
            timeoutMs: 30_000,
          },
        );
      }
      expect(sandbox.state.list({ project: PROJECT }).length).toBe(before);
    } finally {
      await green.stopOperator();
      await blue.stopOperator();
      await abandonNamespace(blue, objects);
    }
  }, 600_000);
});

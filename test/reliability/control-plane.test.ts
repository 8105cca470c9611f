// Control-plane faults: the operator binary (with leader election, so it holds a Lease) lives
// through a kube-apiserver restart, an etcd compaction that expires its watches (410), the
// deletion of its Lease and the theft of its Lease. Objects changed meanwhile still converge,
// with no manual action. A small supervisor restarts the process if it exits, as the kubelet
// would; the figures say whether it had to.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { LEASE_RESOURCE, type Lease } from "../../src/runtime/leader-election.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { testCluster } from "../support/cluster.ts";
import { waitUntil } from "../support/process.ts";
import { reliabilityProfile, seededRandom } from "./profile.ts";
import {
  deleteAll,
  groupObjects,
  inBatches,
  OwnershipLedger,
  PROJECT,
  recordFigures,
  secretScan,
  startReliabilityEnv,
  updatedObject,
  waitAllGone,
  waitConverged,
  type ReliabilityEnv,
} from "./support.ts";

const profile = reliabilityProfile();
const random = seededRandom(profile.seed + 3);
let env: ReliabilityEnv;
let ledger: OwnershipLedger;
let supervising = true;
const exits: Array<number | null> = [];
const figures: Record<string, unknown> = { seed: profile.seed };
const objects: KubeObject[] = [];
let revision = 0;

/** Restarts the operator whenever it exits, as a Deployment's kubelet would. */
async function supervise(): Promise<void> {
  while (supervising) {
    const current = env.operators.at(-1);
    if (!current) return;
    const code = await current.process.exited;
    if (!supervising) return;
    exits.push(code);
    await env.startOperator({ leaderElect: true, logLevel: "debug" });
  }
}

async function addGroup(): Promise<void> {
  const g = objects.length / 5;
  const group = groupObjects(g, random);
  objects.push(...group);
  for (const o of group) await env.apply(o);
}

/** Changes every existing object (a new tag revision) and adds a group; waits until converged. */
async function changeAndConverge(): Promise<number> {
  revision += 1;
  const started = Date.now();
  await inBatches(objects, 10, async (o) => {
    await env.apply(updatedObject(o, revision));
  });
  await addGroup();
  // Recovery takes 2-25 s here; two minutes is generous and stays well below the 300 s an
  // unanswered apiserver request can hang (undici's default headers timeout).
  await waitConverged(env, objects.length, 120_000);
  await waitUntil(
    `cloud at revision ${revision}`,
    async () => {
      const resources = env.sandbox.state.list({ project: PROJECT });
      return (
        resources.length === objects.length &&
        resources.filter((r) => r.tags.revision === String(revision)).length === objects.length - 5
      );
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  return Date.now() - started;
}

async function lease(): Promise<Lease> {
  return env.client.get<Lease>(LEASE_RESOURCE, env.namespace, "rel");
}

beforeAll(async () => {
  env = await startReliabilityEnv("rel-controlplane", { seed: profile.seed });
  ledger = new OwnershipLedger(env.sandbox);
  ledger.start();
  await env.startOperator({ leaderElect: true, logLevel: "debug" });
  void supervise();
  await addGroup();
  await addGroup();
  await waitConverged(env, objects.length, 300_000);
});

afterAll(async () => {
  supervising = false;
  ledger?.stop();
  await env?.close();
});

describe(`control-plane faults (${profile.name} profile, seed ${profile.seed})`, () => {
  it("recovers from a kube-apiserver restart", async () => {
    await testCluster().restartApiServer();
    figures.afterApiServerRestartMs = await changeAndConverge();
  });

  it("recovers from an etcd compaction that expires its watches (410 Gone)", async () => {
    // Move the revision on (ConfigMap writes), compact it away, and restart the apiserver so
    // every watch must resume from a compacted resourceVersion.
    const core = env.kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: "churn" }, data: { n: "0" } },
    });
    for (let i = 1; i <= 20; i++) {
      await core.replaceNamespacedConfigMap({
        name: "churn",
        namespace: env.namespace,
        body: { metadata: { name: "churn" }, data: { n: String(i) } },
      });
    }
    figures.compactedRevision = await testCluster().compactEtcd();
    await testCluster().restartApiServer();
    figures.afterCompactionMs = await changeAndConverge();
  });

  it("recovers when its Lease is deleted", async () => {
    await env.client.delete(LEASE_RESOURCE, env.namespace, "rel");
    figures.afterLeaseDeletedMs = await changeAndConverge();
    await waitUntil("the Lease recreated", async () => !!(await lease()).spec?.holderIdentity, {
      timeoutMs: 60_000,
    });
  });

  it("recovers when its Lease is stolen", async () => {
    const current = await lease();
    const now = new Date().toISOString().replace("Z", "000Z");
    await env.client.replace<Lease>(LEASE_RESOURCE, {
      ...current,
      spec: { ...current.spec, holderIdentity: "intruder", renewTime: now, leaseDurationSeconds: 15 },
    });
    const exitsBefore = exits.length;
    figures.afterLeaseStolenMs = await changeAndConverge();
    figures.restartsAfterTheft = exits.length - exitsBefore;
    const holder = (await lease()).spec?.holderIdentity;
    expect(holder).not.toBe("intruder");
  });

  it("deletes everything; nothing duplicated, leaked or exposed", async () => {
    await deleteAll(env);
    await waitAllGone(env, 300_000);
    await waitUntil("cloud empty", async () => env.sandbox.state.list({ project: PROJECT }).length === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
    }).catch(() => undefined);
    ledger.stop();
    const leaked = env.sandbox.state.list({ project: PROJECT });
    const scan = await secretScan(env);
    const logs = env.operators.map((o) => o.process.tail(200)).join("\n");
    Object.assign(figures, {
      resources: objects.length,
      processExits: exits,
      duplicated: ledger.duplicates().count,
      leakedAfterDelete: leaked.length,
      secretScan: { sources: scan.scanned, bytes: scan.bytes, hits: scan.hits.length },
    });
    recordFigures("control-plane", profile.name, figures);
    expect(leaked.map((r) => r.id)).toEqual([]);
    expect(ledger.duplicates().owners).toEqual({});
    expect(scan.hits).toEqual([]);
    // Only the stolen Lease may end a process (exit 1 by design, then restarted).
    expect(
      exits.every((code) => code === 1),
      logs,
    ).toBe(true);
  });
});

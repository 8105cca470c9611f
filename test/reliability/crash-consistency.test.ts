// Crash consistency: the operator binary is SIGKILLed at seeded random points while it creates,
// updates and deletes, and restarted each time (what a kubelet does). After the last restart
// everything converges: no cloud resource created twice, none left behind after delete.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { reliabilityProfile, seededRandom } from "./profile.ts";
import {
  deleteAll,
  groupObjects,
  inBatches,
  invalidCalls,
  listManaged,
  OwnershipLedger,
  PROJECT,
  rateFigures,
  recordFigures,
  secretScan,
  startReliabilityEnv,
  updatedObject,
  waitAllGone,
  waitConverged,
  type ReliabilityEnv,
} from "./support.ts";
import { waitUntil } from "../support/process.ts";

const profile = reliabilityProfile();
const random = seededRandom(profile.seed + 1);
let env: ReliabilityEnv;
let ledger: OwnershipLedger;
const figures: Record<string, unknown> = { seed: profile.seed };
/** Kill points: after the n-th cloud write since the restart, plus a few ms. */
const killPoints: string[] = [];
let kills = 0;
let killsDuringWork = 0;

/**
 * Waits for a seeded number (1-4) of cloud writes by the current operator, then a seeded 0-250 ms,
 * SIGKILLs it, and starts a new one. When the phase's work is already done the kill happens after
 * 5 s anyway (counted as an idle kill).
 */
async function killAndRestart(): Promise<void> {
  const current = env.operators.at(-1);
  if (!current) throw new Error("no operator running");
  const writes = 1 + Math.floor(random() * 4);
  const jitter = Math.floor(random() * 250);
  const since = Date.now();
  const seen = (): number =>
    env.sandbox.calls({ since }).filter((c) => c.method !== "GET" && c.token !== null).length;
  const deadline = since + 5_000;
  while (seen() < writes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const duringWork = seen() >= writes;
  await new Promise((r) => setTimeout(r, jitter));
  expect(current.process.child.exitCode, "the operator died before it was killed").toBeNull();
  await current.process.kill();
  kills += 1;
  if (duringWork) killsDuringWork += 1;
  killPoints.push(duringWork ? `after write ${writes} +${jitter} ms` : "idle");
  await env.startOperator({ logLevel: "debug" });
}

beforeAll(async () => {
  env = await startReliabilityEnv("rel-crash", {
    seed: profile.seed,
    // Slower clouds widen the windows between a create and its status write.
    sandbox: { delays: { vpc: 400, subnet: 400, server: 800, volume: 400 } },
  });
  ledger = new OwnershipLedger(env.sandbox);
  ledger.start(50);
  await env.startOperator({ logLevel: "debug" });
});

afterAll(async () => {
  ledger?.stop();
  await env?.close();
});

describe(`crash consistency (${profile.name} profile, seed ${profile.seed})`, () => {
  const objects: KubeObject[] = [];

  it("converges after SIGKILLs during creation, without duplicates", async () => {
    for (let g = 0; g < profile.crashGroups; g++) objects.push(...groupObjects(g, random));
    await inBatches(objects, 10, async (o) => {
      await env.apply(o);
    });
    for (let i = 0; i < profile.killsPerPhase; i++) await killAndRestart();
    figures.createConvergedAfterLastRestartMs = await waitConverged(env, objects.length, 600_000);
    ledger.sample();
    expect(ledger.duplicates().owners).toEqual({});
    expect(env.sandbox.state.list({ project: PROJECT })).toHaveLength(objects.length);
    // The mark guards "did an earlier create happen?"; once every object holds its resource's ID
    // the question is answered, however the object got there (created, adopted after a kill).
    const marked = (await listManaged(env))
      .filter((o) => o.metadata.annotations?.["clouddigit.ai/create-pending"] !== undefined)
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(marked).toEqual([]);
  });

  it("converges after SIGKILLs during updates", async () => {
    await inBatches(objects, 10, async (o) => {
      await env.apply(updatedObject(o, 1));
    });
    for (let i = 0; i < profile.killsPerPhase; i++) await killAndRestart();
    figures.updateConvergedAfterLastRestartMs = await waitConverged(env, objects.length, 600_000);
    await waitUntil(
      "every update visible in the cloud",
      async () => env.sandbox.state.list({ project: PROJECT }).every((r) => r.tags.revision === "1"),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(ledger.duplicates().owners).toEqual({});
  });

  it("deletes everything after SIGKILLs during deletion, leaking nothing", async () => {
    await deleteAll(env);
    for (let i = 0; i < profile.killsPerPhase; i++) await killAndRestart();
    figures.deleteDoneAfterLastRestartMs = await waitAllGone(env, 600_000);
    await waitUntil("cloud empty", async () => env.sandbox.state.list({ project: PROJECT }).length === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
    }).catch(() => undefined);
    const leaked = env.sandbox.state.list({ project: PROJECT });
    figures.leakedAfterDelete = leaked.length;
    expect(leaked.map((r) => r.id)).toEqual([]);
  });

  it("reports the run: kills, duplicates, budget, secrets", async () => {
    ledger.stop();
    const duplicates = ledger.duplicates();
    const calls = env.sandbox.calls();
    const rates = rateFigures(calls);
    const scan = await secretScan(env);
    Object.assign(figures, {
      resources: objects.length,
      kills,
      killsDuringWork,
      killPoints,
      duplicated: duplicates.count,
      cloudResourcesEverSeen: ledger.ownerOfId.size,
      calls: rates.calls,
      callsOverBudget: rates.overBudget,
      peakCallsPerSecond1s: rates.peak1s,
      invalidCalls: invalidCalls(calls).length,
      secretScan: { sources: scan.scanned, bytes: scan.bytes, hits: scan.hits.length },
    });
    recordFigures("crash-consistency", profile.name, figures);
    expect(kills).toBe(profile.killsPerPhase * 3);
    expect(killsDuringWork).toBeGreaterThan(0);
    expect(duplicates.owners).toEqual({});
    expect(ledger.ownerOfId.size).toBe(objects.length);
    expect(rates.overBudget).toBe(0);
    expect(invalidCalls(calls)).toEqual([]);
    expect(scan.hits).toEqual([]);
  });
});

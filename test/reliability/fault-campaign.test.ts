// Fault campaign: the sandbox answers 10% of calls with 5xx, drops 5% of connections (half of
// them after the request took effect, and POSTs get an extra 5% drop-after-create), adds latency
// spikes and a 429 storm every 15 s. The operator binary creates a mixed set of resources,
// updates some and deletes all. Hard limits: nothing duplicated, nothing leaked, every object
// converged, the per-token call budget held, no secret in logs, events or status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { reliabilityProfile, seededRandom } from "./profile.ts";
import {
  BUDGET,
  cloudAccounting,
  deleteAll,
  groupObjects,
  inBatches,
  invalidCalls,
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
const random = seededRandom(profile.seed);
let env: ReliabilityEnv;
let ledger: OwnershipLedger;
let storms: NodeJS.Timeout | undefined;
let stormCount = 0;
const figures: Record<string, unknown> = { seed: profile.seed };

beforeAll(async () => {
  env = await startReliabilityEnv("rel-faults", {
    seed: profile.seed,
    sandbox: {
      faults: [
        { kind: "internal", rate: 0.05 },
        { kind: "unavailable", rate: 0.05, retryAfterSeconds: 0 },
        { kind: "drop", rate: 0.025 },
        { kind: "drop_after", rate: 0.025 },
        { kind: "drop_after", method: "POST", rate: 0.05 },
        { kind: "latency", rate: 0.05, latencyMs: 400, jitterMs: 1_200 },
      ],
    },
  });
  ledger = new OwnershipLedger(env.sandbox);
  ledger.start();
  // A 2 s storm of 429s (Retry-After 1 s) every 15 s, for as long as the campaign runs.
  storms = setInterval(() => {
    stormCount += 1;
    env.sandbox.faults.add({ kind: "rate_limited", durationMs: 2_000, retryAfterSeconds: 1 });
  }, 15_000);
  await env.startOperator();
});

afterAll(async () => {
  if (storms) clearInterval(storms);
  ledger?.stop();
  await env?.close();
});

describe(`fault campaign (${profile.name} profile, seed ${profile.seed})`, () => {
  const objects: KubeObject[] = [];

  it("creates every resource exactly once under faults", async () => {
    for (let g = 0; g < profile.campaignGroups; g++) objects.push(...groupObjects(g, random));
    const started = Date.now();
    await inBatches(objects, 10, async (o) => {
      await env.apply(o);
    });
    await waitConverged(env, objects.length, 900_000);
    figures.resources = objects.length;
    figures.createConvergedMs = Date.now() - started;
    ledger.sample();
    const cloud = cloudAccounting(env.sandbox);
    figures.convergedCount = objects.length;
    figures.cloudAfterCreate = cloud.total;
    expect(cloud.duplicated).toEqual({});
    expect(cloud.untagged).toBe(0);
    expect(cloud.total).toBe(objects.length);
  });

  it("applies updates under faults", async () => {
    const picks = [...objects].sort(() => random() - 0.5).slice(0, profile.campaignUpdates);
    const started = Date.now();
    await inBatches(picks, 10, async (o) => {
      await env.apply(updatedObject(o, 1));
    });
    await waitConverged(env, objects.length, 900_000);
    // The cloud shows every update: the new tag (and the new size of a Volume).
    await waitUntil(
      "updates visible in the cloud",
      async () => {
        const resources = env.sandbox.state.list({ project: PROJECT });
        return picks.every((o) =>
          resources.some(
            (r) =>
              r.tags["clouddigit.ai/name"] === `${env.namespace}/${o.metadata.name ?? ""}` &&
              r.tags.revision === "1" &&
              (o.kind !== "Volume" || ("size_gib" in r && r.size_gib === 20)),
          ),
        );
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    figures.updated = picks.length;
    figures.updateConvergedMs = Date.now() - started;
  });

  it("deletes everything and leaks nothing", async () => {
    const started = Date.now();
    await deleteAll(env);
    await waitAllGone(env, 900_000);
    figures.deleteMs = Date.now() - started;
    // Deletion transitions finish shortly after the objects go; then nothing may remain.
    await waitUntil("cloud empty", async () => env.sandbox.state.list({ project: PROJECT }).length === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
    }).catch(() => undefined);
    const leaked = env.sandbox.state.list({ project: PROJECT });
    figures.leakedAfterDelete = leaked.length;
    expect(leaked.map((r) => r.id)).toEqual([]);
  });

  it("never duplicated a resource, held the call budget and exposed no secret", async () => {
    ledger.stop();
    const duplicates = ledger.duplicates();
    const calls = env.sandbox.calls();
    const rates = rateFigures(calls);
    const scan = await secretScan(env);
    const operatorAlive = env.operators.every((o) => o.process.child.exitCode === null);
    Object.assign(figures, {
      duplicated: duplicates.count,
      cloudResourcesEverSeen: ledger.ownerOfId.size,
      calls: rates.calls,
      received429: rates.throttled,
      stormsInjected: stormCount,
      calls5xx: calls.filter((c) => c.status >= 500).length,
      droppedConnections: calls.filter((c) => c.dropped).length,
      invalidCalls: invalidCalls(calls).length,
      peakCallsPerSecond1s: rates.peak1s,
      peakCallsPerSecond10sAvg: rates.peak10sPerSecond,
      callsOverBudget: rates.overBudget,
      budgetHeld: rates.budgetHeld,
      secretScan: { sources: scan.scanned, bytes: scan.bytes, hits: scan.hits.length },
      operatorAlive,
    });
    recordFigures("fault-campaign", profile.name, figures);
    expect(duplicates.owners).toEqual({});
    expect(ledger.ownerOfId.size).toBe(objects.length);
    expect(rates.overBudget).toBe(0);
    expect(rates.peak1s).toBeLessThanOrEqual(BUDGET.burst + BUDGET.perSecond);
    expect(invalidCalls(calls)).toEqual([]);
    expect(scan.hits).toEqual([]);
    expect(operatorAlive).toBe(true);
  });
});

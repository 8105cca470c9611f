// Failover: two replicas of the operator binary with leader election (the binary's defaults:
// lease 15 s, renew deadline 10 s, retry period 2 s with up to 20% jitter). The leader is
// SIGKILLed during a burst of creates; the standby takes over when the lease expires and
// finishes the work. Nothing may be created twice.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Lease } from "../../src/runtime/leader-election.ts";
import { LEASE_RESOURCE } from "../../src/runtime/leader-election.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { waitUntil } from "../support/process.ts";
import { reliabilityProfile, seededRandom } from "./profile.ts";
import {
  deleteAll,
  groupObjects,
  inBatches,
  LEASE_MS,
  OwnershipLedger,
  PROJECT,
  rateFigures,
  recordFigures,
  RETRY_MS,
  secretScan,
  startReliabilityEnv,
  TAKEOVER_BOUND_MS,
  waitAllGone,
  waitCloudWrites,
  waitConverged,
  waitNewHolder,
  type OperatorHandle,
  type ReliabilityEnv,
} from "./support.ts";

const profile = reliabilityProfile();
const random = seededRandom(profile.seed + 2);
let env: ReliabilityEnv;
let ledger: OwnershipLedger;
const figures: Record<string, unknown> = { seed: profile.seed, leaseMs: LEASE_MS, retryPeriodMs: RETRY_MS };

async function holder(): Promise<string | undefined> {
  try {
    const lease = await env.client.get<Lease>(LEASE_RESOURCE, env.namespace, "rel");
    return lease.spec?.holderIdentity || undefined;
  } catch {
    return undefined;
  }
}

function leads(o: OperatorHandle): boolean {
  return readFileSync(o.logFile, "utf8").includes('"became leader"');
}

beforeAll(async () => {
  env = await startReliabilityEnv("rel-failover", {
    seed: profile.seed,
    sandbox: { delays: { vpc: 400, subnet: 400, server: 800, volume: 400 } },
  });
  ledger = new OwnershipLedger(env.sandbox);
  ledger.start(50);
  await env.startOperator({ leaderElect: true });
  await env.startOperator({ leaderElect: true });
});

afterAll(async () => {
  ledger?.stop();
  await env?.close();
});

describe(`failover (${profile.name} profile, seed ${profile.seed})`, () => {
  const objects: KubeObject[] = [];

  it("the standby takes over after the leader is killed mid-burst, creating nothing twice", async () => {
    await waitUntil("a leader", async () => env.operators.some(leads), { timeoutMs: 60_000 });
    const leader = env.operators.find(leads);
    const standby = env.operators.find((o) => o !== leader);
    if (!leader || !standby) throw new Error("expected one leader and one standby");
    const oldHolder = await holder();
    expect(oldHolder).toBeDefined();

    for (let g = 0; g < profile.failoverGroups; g++) objects.push(...groupObjects(g, random));
    const since = Date.now();
    await inBatches(objects, 10, async (o) => {
      await env.apply(o);
    });
    // Kill after a seeded number (3-10) of cloud writes: creates are in flight.
    const writes = 3 + Math.floor(random() * 8);
    await waitCloudWrites(env.sandbox, since, writes);
    await leader.process.kill();
    const killedAt = Date.now();
    await waitNewHolder(holder, oldHolder);
    const takeoverMs = Date.now() - killedAt;
    await waitUntil(
      "the standby's first cloud write",
      async () => env.sandbox.calls({ since: killedAt }).some((c) => c.method !== "GET"),
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const firstWriteMs =
      (env.sandbox.calls({ since: killedAt }).find((c) => c.method !== "GET")?.at ?? 0) - killedAt;
    const writesBeforeKill = env.sandbox
      .calls({ since })
      .filter((c) => c.method !== "GET" && c.at < killedAt).length;
    figures.killedAfterWrites = writesBeforeKill;
    figures.takeoverMs = takeoverMs;
    figures.firstCloudWriteAfterKillMs = firstWriteMs;
    figures.takeoverBoundMs = TAKEOVER_BOUND_MS;

    figures.convergedAfterTakeoverMs = await waitConverged(env, objects.length, 600_000);
    expect(leads(standby)).toBe(true);
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    ledger.sample();
    expect(ledger.duplicates().owners).toEqual({});
    expect(env.sandbox.state.list({ project: PROJECT })).toHaveLength(objects.length);
  });

  it("the new leader deletes everything; the run shows no duplicate, leak or secret", async () => {
    await deleteAll(env);
    await waitAllGone(env, 600_000);
    await waitUntil("cloud empty", async () => env.sandbox.state.list({ project: PROJECT }).length === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
    }).catch(() => undefined);
    ledger.stop();
    const leaked = env.sandbox.state.list({ project: PROJECT });
    const rates = rateFigures(env.sandbox.calls());
    const scan = await secretScan(env);
    Object.assign(figures, {
      resources: objects.length,
      duplicated: ledger.duplicates().count,
      leakedAfterDelete: leaked.length,
      calls: rates.calls,
      callsOverBudget: rates.overBudget,
      secretScan: { sources: scan.scanned, bytes: scan.bytes, hits: scan.hits.length },
    });
    recordFigures("failover", profile.name, figures);
    expect(leaked.map((r) => r.id)).toEqual([]);
    expect(ledger.duplicates().owners).toEqual({});
    expect(rates.overBudget).toBe(0);
    expect(scan.hits).toEqual([]);
  });
});

// Two containers of the image on one Lease, as the chart's two replicas: the leader is SIGKILLed
// (`podman kill --signal KILL`, no chance to release the Lease) during a burst of creates against
// the sandbox. The standby must take the Lease once it expires and finish the work, and nothing
// may be created twice in the cloud.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceType } from "../../src/controllers/kube/resources.ts";
import { LEASE_RESOURCE, type Lease } from "../../src/runtime/leader-election.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { seededRandom } from "../reliability/profile.ts";
import {
  groupObjects,
  inBatches,
  isConverged,
  MANAGED_KINDS,
  OwnershipLedger,
  PROJECT,
  TAKEOVER_BOUND_MS,
  waitCloudWrites,
  waitNewHolder,
  type ManagedObj,
} from "../reliability/support.ts";
import { waitUntil } from "../support/process.ts";
import {
  leaseHolder,
  podman,
  Prober,
  startImageEnv,
  type ImageEnv,
  type OperatorContainer,
} from "./support.ts";

// The takeover bound (lease + 2 x retry x 1.2 + 2 s) is the reliability tier's: the chart sets no
// leader-election timings, so the binary's defaults apply.
const GROUPS = 6;

const random = seededRandom(17);
let env: ImageEnv;
let ledger: OwnershipLedger;
let replicas: OperatorContainer[];

function leads(c: OperatorContainer): boolean {
  return readFileSync(c.process.logFile, "utf8").includes('"became leader"');
}

async function holder(): Promise<string | undefined> {
  return (
    (await leaseHolder(env.client, env.namespace, env.chart.leaseName))?.spec?.holderIdentity || undefined
  );
}

beforeAll(async () => {
  env = await startImageEnv("img-failover", {
    rbac: true,
    sandbox: {
      delays: { vpc: 400, subnet: 400, server: 800, volume: 400 },
      quotas: { vpcs: 100, subnets: 100, ssh_keys: 100, servers: 100, volumes: 100 },
    },
  });
  ledger = new OwnershipLedger(env.sandbox);
  ledger.start(50);
  // Each replica with a token of its own, as two pods would have.
  replicas = [];
  for (const i of [0, 1]) {
    const { mount } = await env.mount(`replica-${i}`);
    const c = await env.run(`${env.namespace}-${i}`, mount);
    await new Prober(env.chart.container.startupProbe!, c.port).untilSuccess(c.process);
    replicas.push(c);
  }
});

afterAll(async () => {
  ledger?.stop();
  await env?.close();
});

describe("two containers of the image on one Lease", () => {
  it("the standby takes over after the leader is SIGKILLed mid-burst, creating nothing twice", async () => {
    await waitUntil("a leader", async () => replicas.some(leads), { timeoutMs: 60_000 });
    const leader = replicas.find(leads)!;
    const standby = replicas.find((c) => c !== leader)!;
    const leases = await env.client.list<Lease>(LEASE_RESOURCE, { namespace: env.namespace });
    expect(leases.items.map((l) => l.metadata.name)).toEqual([env.chart.leaseName]);
    const oldHolder = await holder();
    expect(oldHolder?.startsWith(`${leader.name}_`)).toBe(true);
    expect(leads(standby)).toBe(false);

    const objects: KubeObject[] = [];
    for (let g = 0; g < GROUPS; g++) objects.push(...groupObjects(g, random));
    const since = Date.now();
    await inBatches(objects, 10, (o) => env.apply(o));
    // Kill after a seeded number (3-10) of cloud writes: creates are in flight.
    const writes = 3 + Math.floor(random() * 8);
    await waitCloudWrites(env.sandbox, since, writes);
    await podman(["kill", "--signal", "KILL", leader.name]);
    const killedAt = Date.now();
    expect(await leader.process.exited).not.toBe(0);
    const newHolder = await waitNewHolder(holder, oldHolder, standby.process);
    const takeoverMs = Date.now() - killedAt;
    expect(newHolder.startsWith(`${standby.name}_`)).toBe(true);
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    console.log(
      `[image] failover: killed after ${writes} cloud writes, standby took the Lease in ${takeoverMs} ms`,
    );

    await waitUntil(
      `${objects.length} objects Ready`,
      async () => {
        let ready = 0;
        for (const kind of MANAGED_KINDS) {
          const list = await env.client.list<ManagedObj>(resourceType(kind), { namespace: env.namespace });
          ready += list.items.filter(isConverged).length;
        }
        return ready === objects.length;
      },
      { timeoutMs: 240_000, intervalMs: 1_000, whileAlive: standby.process },
    );
    ledger.sample();
    expect(ledger.duplicates().owners).toEqual({});
    expect(env.sandbox.state.list({ project: PROJECT })).toHaveLength(objects.length);
  });
});

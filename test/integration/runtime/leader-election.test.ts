import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { waitUntil } from "../../support/process.ts";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import { LEASE_RESOURCE, microTime, type Lease } from "../../../src/runtime/leader-election.ts";
import { Manager } from "../../../src/runtime/manager.ts";
import { PausableProxy } from "./pausable-proxy.ts";
import { installWidgetCrd, WIDGET, widget, type Widget } from "./support.ts";

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig());
const managers: Manager[] = [];

// Short durations so the test runs in seconds; the protocol is the same as with 15s/10s/2s.
const LEASE_MS = 3000;
const RENEW_MS = 2000;
const RETRY_MS = 500;

interface Reconcile {
  by: string;
  key: string;
  at: number;
}

beforeAll(async () => {
  await installWidgetCrd(client);
});

afterAll(async () => {
  for (const m of managers) await m.stop();
});

function startManager(ns: string, identity: string, log: Reconcile[], releaseOnCancel = true): Manager {
  const mgr = new Manager({
    kubeConfig: cluster.kubeConfig(),
    namespaces: [ns],
    health: { host: "127.0.0.1", port: 0 },
    leaderElection: {
      namespace: ns,
      name: "widget-controller",
      identity,
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: RENEW_MS,
      retryPeriodMs: RETRY_MS,
      releaseOnCancel,
    },
    shutdownTimeoutMs: 5000,
  });
  const widgets = mgr.informer<Widget>(WIDGET);
  mgr
    .addController({
      name: `widgets-${identity}`,
      reconcile: async (key) => {
        log.push({ by: identity, key, at: Date.now() });
      },
    })
    .for(widgets);
  managers.push(mgr);
  return mgr;
}

async function readyz(mgr: Manager): Promise<number> {
  const a = mgr.healthAddress()!;
  return (await fetch(`http://${a.host}:${a.port}/readyz`)).status;
}

async function timeUntilLeader(mgr: Manager, from: number): Promise<number> {
  await waitUntil("standby takes over", async () => mgr.isLeader(), { timeoutMs: 30_000, intervalMs: 10 });
  return Date.now() - from;
}

describe("leader election on a Lease", () => {
  it("lets exactly one of two managers reconcile and hands over when the leader stops", async () => {
    const ns = await createNamespace(client.kubeConfig, "rt-leader");
    const log: Reconcile[] = [];
    const a = startManager(ns, "a", log);
    await a.start();
    await waitUntil("a leads", async () => a.isLeader(), { timeoutMs: 20_000 });
    const b = startManager(ns, "b", log, false);
    await b.start();

    for (let i = 0; i < 20; i++) await client.create(WIDGET, widget(ns, `w${i}`));
    await waitUntil("20 reconciled", async () => new Set(log.map((r) => r.key)).size === 20, {
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(new Set(log.map((r) => r.by))).toEqual(new Set(["a"]));
    expect(b.isLeader()).toBe(false);
    // Ready as leader and as standby: both caches are synced.
    await waitUntil("both ready", async () => (await readyz(a)) === 200 && (await readyz(b)) === 200, {
      timeoutMs: 10_000,
    });

    // Graceful stop: a releases the lease, b takes over at its next retry.
    const aStopping = Date.now();
    await a.stop();
    const aStopped = Date.now();
    const releasedLease = await client.get<Lease>(LEASE_RESOURCE, ns, "widget-controller");
    const gracefulHandover = await timeUntilLeader(b, aStopping);
    // b may only reconcile once a has stopped.
    await client.create(WIDGET, widget(ns, "after-a"));
    await waitUntil(
      "b reconciles new work",
      async () => log.some((r) => r.by === "b" && r.key === `${ns}/after-a`),
      {
        timeoutMs: 20_000,
      },
    );
    expect(log.filter((r) => r.by === "b").every((r) => r.at >= aStopped)).toBe(true);
    expect(releasedLease.spec?.holderIdentity ?? "").toBe("");

    // Crash-like stop: b (releaseOnCancel false) leaves the lease held; c must wait for it to expire.
    const c = startManager(ns, "c", log);
    await c.start();
    await waitUntil("c ready as standby", async () => (await readyz(c)) === 200, { timeoutMs: 10_000 });
    const bStopping = Date.now();
    await b.stop();
    const bStopped = Date.now();
    const heldLease = await client.get<Lease>(LEASE_RESOURCE, ns, "widget-controller");
    expect(heldLease.spec?.holderIdentity).toBe("b");
    const expiryHandover = await timeUntilLeader(c, bStopping);
    await client.create(WIDGET, widget(ns, "after-b"));
    await waitUntil(
      "c reconciles new work",
      async () => log.some((r) => r.by === "c" && r.key === `${ns}/after-b`),
      {
        timeoutMs: 20_000,
      },
    );
    expect(log.filter((r) => r.by === "c").every((r) => r.at >= bStopped)).toBe(true);

    console.log(
      `[runtime] lease ${LEASE_MS}/${RENEW_MS}/${RETRY_MS} ms: handover after graceful stop (lease released) ${gracefulHandover} ms; ` +
        `after stop without release (lease must expire) ${expiryHandover} ms`,
    );
    // The acceptance bound: lease duration plus one retry period (with its 20% jitter), plus an
    // allowance for the API round trips of the stop and the takeover on a loaded 2-core machine.
    const bound = LEASE_MS + RETRY_MS * 1.2 + 1000;
    expect(gracefulHandover).toBeLessThan(bound);
    expect(expiryHandover).toBeLessThan(bound);
    const lease = await client.get<Lease>(LEASE_RESOURCE, ns, "widget-controller");
    expect(lease.spec?.holderIdentity).toBe("c");
    expect(lease.spec?.leaseTransitions).toBe(2);
  });
});

describe("lost leadership", () => {
  it("stops the controllers and rejects run() when another holder takes the Lease", async () => {
    const ns = await createNamespace(client.kubeConfig, "rt-lost");
    const log: Reconcile[] = [];
    const mgr = startManager(ns, "victim", log);
    const running = mgr.run({ handleSignals: false });
    await waitUntil("victim leads", async () => mgr.isLeader(), { timeoutMs: 20_000 });
    // An intruder overwrites the Lease (as after a network partition where the victim could not renew).
    const lease = await client.get<Lease>(LEASE_RESOURCE, ns, "widget-controller");
    await client.replace<Lease>(LEASE_RESOURCE, {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: "intruder",
        leaseDurationSeconds: 60,
        renewTime: microTime(Date.now()),
      },
    });
    await expect(running).rejects.toThrow("leader election lost");
    expect(mgr.isLeader()).toBe(false);
    // Its controllers no longer reconcile.
    const before = log.length;
    await client.create(WIDGET, widget(ns, "after-loss"));
    await new Promise((r) => setTimeout(r, 1500));
    expect(log.length).toBe(before);
    // It did not release a lease it no longer holds.
    expect((await client.get<Lease>(LEASE_RESOURCE, ns, "widget-controller")).spec?.holderIdentity).toBe(
      "intruder",
    );
  });
});

describe("renew deadline", () => {
  it("gives up leadership when the API is unreachable for the renew deadline", async () => {
    const ns = await createNamespace(client.kubeConfig, "rt-cutoff");
    const url = new URL(cluster.server);
    const proxy = new PausableProxy(url.hostname, Number(url.port));
    await proxy.start();
    const mgr = new Manager({
      kubeConfig: proxy.kubeConfigThrough(cluster.kubeConfig()),
      health: false,
      leaderElection: {
        namespace: ns,
        name: "cut-off",
        identity: "cut-off",
        leaseDurationMs: LEASE_MS,
        renewDeadlineMs: RENEW_MS,
        retryPeriodMs: RETRY_MS,
      },
    });
    managers.push(mgr);
    const running = mgr.run({ handleSignals: false });
    await waitUntil("leads", async () => mgr.isLeader(), { timeoutMs: 20_000 });
    const cutAt = Date.now();
    proxy.pause();
    await expect(running).rejects.toThrow("leader election lost");
    const gaveUpAfter = Date.now() - cutAt;
    console.log(
      `[runtime] leader cut off from the API gave up after ${gaveUpAfter} ms (renew deadline ${RENEW_MS} ms)`,
    );
    // It must give up before its lease could expire for others, or two leaders could overlap.
    expect(gaveUpAfter).toBeLessThan(LEASE_MS);
    await proxy.stop();
  });
});

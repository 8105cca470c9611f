/**
 * Scale (issue 10): --objects objects of our kinds (VPC, Subnet, Volume in turn) in a real
 * kube-apiserver + etcd, created with the paused annotation so that they cost no cloud creates,
 * plus --live unpaused VPCs converged against the sandbox. The operator then runs as its own
 * process (`src/main.ts`, default settings) so that its RSS is its own: the bench measures the
 * time from spawn to /healthz (process up) and to /readyz (caches synced), RSS over the start-up
 * pass (every object reconciled once), and the latency from a spec change of a live object to the
 * status update that answers it (observedGeneration caught up), with all the objects in cache,
 * and the latency from a cloud state change (a new VPC's creating -> active in the sandbox, at its
 * updated_at) to the Ready condition that reports it.
 *
 *   scripts/with-node --import tsx bench/scale.ts --objects 10000 [--live 40] [--settle 60s] [--heap 160] [--entry DIR/src/main.js] [--heap-snapshot DIR]
 *
 * --heap-snapshot DIR: the operator writes a V8 heap snapshot into DIR after the start-up pass
 * (open it in Chrome DevTools' Memory tab to see what holds the heap).
 *
 * --converged N --steady-window 660s: N further objects (VPC, Subnet, Volume in turn) converged
 * before the measurements, then a quiet window at the operator's default resync in which the
 * operator process's own CPU and RSS and the cloud calls are counted (the steady state of one
 * operator process; bench/convergence.ts counts the kube writes):
 *
 *   scripts/with-node --import tsx bench/scale.ts --objects 0 --live 10 --converged 1000 --steady-window 660s
 *
 * Bounded: --objects creates, one operator process killed at the end, --live spec changes and
 * --live further VPC creates.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startSandbox } from "../sandbox/server.ts";
import { parseDuration } from "../src/shared/duration.ts";
import { resourceType, SECRET_RESOURCE } from "../src/controllers/kube/resources.ts";
import { KubeClient } from "../src/runtime/kube-client.ts";
import { startControlPlane } from "../test/support/control-plane.ts";
import { freePort } from "../test/support/process.ts";
import { installCrds, sampleObjects } from "../test/integration/controllers/manifests.ts";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "10000" },
    live: { type: "string", default: "40" },
    settle: { type: "string", default: "60s" },
    /** Optional V8 old-space cap for the operator in MB (what a container limit would set). */
    heap: { type: "string" },
    /** A compiled entry run without tsx, as in the image: `tsc -p tsconfig.build.json --outDir DIR`,
     *  DIR/src/main.js (with DIR/node_modules linked to the checkout's). */
    entry: { type: "string" },
    "heap-snapshot": { type: "string" },
    /** Further V8/Node flags for the operator, e.g. --node-option=--max-semi-space-size=4 (repeatable). */
    "node-option": { type: "string", multiple: true },
    converged: { type: "string", default: "0" },
    "steady-window": { type: "string" },
  },
});
const converged = Number(values.converged);
const steadyWindowMs = values["steady-window"] ? (parseDuration(values["steady-window"]) ?? 0) : 0;
const total = Number(values.objects);
const live = Number(values.live);
const settleMs = parseDuration(values.settle) ?? 60_000;
const TOKEN = "cd_sandbox_demo_token";
const ns = "bench-scale";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        // The apiserver may close an HTTP/2 connection (GOAWAY) under load: retry, bounded.
        for (let attempt = 1; ; attempt++) {
          try {
            await fn(item);
            break;
          } catch (err) {
            const status = (err as { status?: number }).status;
            if (attempt > 1 && status === 409) break; // the lost attempt had landed
            if (attempt >= 3 || status !== 0) throw err;
          }
        }
      }
    }),
  );
}

/** Asks the operator for a heap snapshot and waits until the file is complete. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  let last = -1;
  for (let i = 0; i < 600; i++) {
    await sleep(1_000);
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith(".heapsnapshot"));
    if (!file) continue;
    const size = statSync(path.join(dir, file)).size;
    if (size > 0 && size === last) {
      console.error(`heap snapshot: ${path.join(dir, file)} (${(size / 2 ** 20).toFixed(0)} MiB)`);
      return;
    }
    last = size;
  }
  throw new Error("no heap snapshot within 600 s");
}

/** User + system CPU time of a process so far, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of stat; after "pid (comm) " they are the 12th and 13th.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

const cp = await startControlPlane({ log: (l) => console.error(`[control-plane] ${l}`) });
const sandbox = await startSandbox({
  tokens: [{ token: TOKEN, projects: ["demo"], name: "bench" }],
  quotas: { vpcs: 2 * live + converged + 10, subnets: converged + 10, volumes: converged + 10 },
  delays: { vpc: 200 },
});
let operator: ReturnType<typeof spawn> | undefined;
try {
  const client = new KubeClient(cp.kubeConfig());
  await installCrds(client);
  await client.request("POST", "/api/v1/namespaces", { body: { metadata: { name: ns } } });
  for (const obj of sampleObjects(sandbox.url)) {
    if (obj.kind !== "Secret" && obj.kind !== "ProviderConfig") continue;
    const rt = obj.kind === "Secret" ? SECRET_RESOURCE : resourceType("ProviderConfig");
    await client.create(rt, { ...obj, metadata: { ...obj.metadata, namespace: ns } });
  }
  const kinds = ["VPC", "Subnet", "Volume"] as const;
  /**
   * `count` objects named `<prefix><i>`: a VPC, a Subnet in the VPC just before it, a Volume, in
   * turn, 32 creates at a time.
   */
  const createMixed = (prefix: string, count: number, annotations?: Record<string, string>) => {
    const specs = {
      VPC: (i: number) => ({ cidr: `10.${i % 256}.0.0/16` }),
      Subnet: (i: number) => ({
        vpcRef: { name: `${prefix}${i - 1}` },
        cidr: `10.${(i - 1) % 256}.1.0/24`,
        zone: "bd-dha-1a",
      }),
      Volume: () => ({ sizeGiB: 10, type: "nvme", zone: "bd-dha-1a" }),
    };
    return pool(
      Array.from({ length: count }, (_, i) => i),
      32,
      (i) => {
        const kind = kinds[i % 3] ?? "VPC";
        return client.create(resourceType(kind), {
          apiVersion: "clouddigit.ai/v1alpha1",
          kind,
          metadata: { name: `${prefix}${i}`, namespace: ns, ...(annotations ? { annotations } : {}) },
          spec: specs[kind](i),
        });
      },
    );
  };
  const createStarted = Date.now();
  await createMixed("p", total, { "clouddigit.ai/paused": "true" });
  const createSeconds = (Date.now() - createStarted) / 1000;
  for (let i = 0; i < live; i++) {
    await client.create(resourceType("VPC"), {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: "VPC",
      metadata: { name: `live${i}`, namespace: ns },
      spec: { cidr: `10.${i}.0.0/16`, description: "v1" },
    });
  }

  // Converged objects: created live, in one batch, before the operator starts.
  await createMixed("c", converged);

  const port = await freePort();
  const spawnedAt = Date.now();
  const heapFlags = values.heap ? [`--max-old-space-size=${values.heap}`] : [];
  const snapshotDir = values["heap-snapshot"];
  if (snapshotDir) heapFlags.push("--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${snapshotDir}`);
  heapFlags.push(...(values["node-option"] ?? []));
  const entry = values.entry ? [values.entry] : ["--import", "tsx", "src/main.ts"];
  operator = spawn(process.execPath, [...heapFlags, ...entry], {
    env: {
      ...process.env,
      KUBECONFIG: cp.kubeconfigPath,
      WATCH_NAMESPACES: ns,
      HEALTH_ADDRESS: `127.0.0.1:${port}`,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const pid = operator.pid ?? 0;
  const probe = async (path: string) => {
    try {
      return (await fetch(`http://127.0.0.1:${port}${path}`)).status === 200;
    } catch {
      return false;
    }
  };
  let upMs = 0;
  let readyMs = 0;
  while (!readyMs) {
    if (Date.now() - spawnedAt > 180_000) throw new Error("operator not ready within 180 s");
    if (!upMs && (await probe("/healthz"))) upMs = Date.now() - spawnedAt;
    if (upMs && (await probe("/readyz"))) readyMs = Date.now() - spawnedAt;
    await sleep(50);
  }
  const rssAtReady = rssMB(pid);
  // The start-up pass: every object reconciled once (paused ones write their Synced=False once).
  let rssMax = rssAtReady;
  const settleEnd = Date.now() + settleMs;
  const readyNamed = async (kind: (typeof kinds)[number], prefix: string) => {
    const list = await client.list(resourceType(kind), { namespace: ns });
    return list.items.filter(
      (o) =>
        o.metadata.name?.startsWith(prefix) &&
        (o.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
          (c) => c.type === "Ready" && c.status === "True",
        ),
    ).length;
  };
  const liveReady = () => readyNamed("VPC", "live");
  const convergedReady = async () => {
    let n = 0;
    for (const kind of kinds) n += await readyNamed(kind, "c");
    return n;
  };
  while (
    Date.now() < settleEnd ||
    (await liveReady()) < live ||
    (converged && (await convergedReady()) < converged)
  ) {
    rssMax = Math.max(rssMax, rssMB(pid));
    if (Date.now() > settleEnd + 300_000) throw new Error("live objects not Ready");
    await sleep(1_000);
  }
  const rssAfterStartup = rssMB(pid);
  // Where the RSS is: the operator's own process metrics (V8 heap, and memory outside it).
  const metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const metricMB = (name: string): number => {
    const m = new RegExp(`^${name} ([0-9.e+]+)$`, "m").exec(metricsText);
    return m ? Math.round(Number(m[1]) / 2 ** 20) : NaN;
  };
  const memoryAfterStartupPass = {
    heapTotalMB: metricMB("nodejs_heap_size_total_bytes"),
    heapUsedMB: metricMB("nodejs_heap_size_used_bytes"),
    externalMB: metricMB("nodejs_external_memory_bytes"),
  };
  if (snapshotDir) await heapSnapshot(pid, snapshotDir);

  // Change-to-condition latency, one live object at a time, all objects in cache.
  const latencies: number[] = [];
  for (let i = 0; i < live; i++) {
    const name = `live${i}`;
    const t0 = Date.now();
    const patched = await client.patch(
      resourceType("VPC"),
      ns,
      name,
      { spec: { description: "v2" } },
      "merge",
    );
    const generation = patched.metadata.generation ?? 0;
    for (;;) {
      const o = await client.get<{
        metadata: { generation?: number };
        status?: { observedGeneration?: number };
      }>(resourceType("VPC"), ns, name);
      if ((o.status?.observedGeneration ?? 0) >= generation) break;
      if (Date.now() - t0 > 60_000) throw new Error(`${name}: no status update within 60 s`);
      await sleep(20);
    }
    latencies.push(Date.now() - t0);
    rssMax = Math.max(rssMax, rssMB(pid));
  }
  latencies.sort((a, b) => a - b);

  // Cloud-state-change-to-condition latency: a new VPC at a time (200 ms provisioning); from the
  // sandbox's creating -> active transition (its updated_at, same clock) to Ready=True in the apiserver.
  const cloudLatencies: number[] = [];
  for (let i = 0; i < live; i++) {
    const name = `fresh${i}`;
    await client.create(resourceType("VPC"), {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: "VPC",
      metadata: { name, namespace: ns },
      spec: { cidr: `10.${i}.0.0/16` },
    });
    const t0 = Date.now();
    for (;;) {
      const o = await client.get<{
        metadata: { name?: string };
        status?: { id?: string; conditions?: Array<{ type: string; status: string }> };
      }>(resourceType("VPC"), ns, name);
      const readyAt = Date.now();
      const id = o.status?.id;
      if (id && o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) {
        const cloud = sandbox.state.get(id);
        if (cloud?.state !== "active") throw new Error(`${name}: Ready while the cloud says ${cloud?.state}`);
        cloudLatencies.push(readyAt - Date.parse(cloud.updated_at));
        break;
      }
      if (readyAt - t0 > 60_000) throw new Error(`${name}: not Ready within 60 s`);
      await sleep(20);
    }
    rssMax = Math.max(rssMax, rssMB(pid));
  }
  cloudLatencies.sort((a, b) => a - b);

  // Steady state of the operator process: nothing changes; resyncs come due.
  let steady: Record<string, unknown> | undefined;
  if (steadyWindowMs > 0) {
    const cpu0 = cpuSeconds(pid);
    const calls0 = sandbox.counts().total;
    const rssSamples: number[] = [];
    const windowEnd = Date.now() + steadyWindowMs;
    while (Date.now() < windowEnd) {
      rssSamples.push(rssMB(pid));
      await sleep(5_000);
    }
    const windowSeconds = steadyWindowMs / 1000;
    const calls = sandbox.counts().total - calls0;
    steady = {
      convergedObjects: converged,
      windowSeconds,
      operatorCpuPercentOfOneCore: +((100 * (cpuSeconds(pid) - cpu0)) / windowSeconds).toFixed(2),
      operatorRssMB: {
        min: Math.min(...rssSamples),
        mean: Math.round(rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length),
        max: Math.max(...rssSamples),
      },
      cloudCalls: calls,
      cloudCallsPerHour: Math.round((calls * 3600) / windowSeconds),
      budgetSharePercent: +((100 * calls) / windowSeconds / 30).toFixed(2),
    };
  }
  const events = await client.list(
    { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true },
    { namespace: ns },
  );
  console.error(
    JSON.stringify(
      {
        objects: total,
        live,
        heapCapMB: values.heap ?? "default",
        nodeOptions: values["node-option"] ?? [],
        entry: values.entry ?? "src/main.ts (tsx)",
        loadAverage: loadavg().map((l) => +l.toFixed(2)),
        createSeconds: +createSeconds.toFixed(1),
        spawnToHealthzSeconds: +(upMs / 1000).toFixed(2),
        spawnToReadyzSeconds: +(readyMs / 1000).toFixed(2),
        cacheSyncSeconds: +((readyMs - upMs) / 1000).toFixed(2),
        rssAtReadyMB: rssAtReady,
        rssAfterStartupPassMB: rssAfterStartup,
        memoryAfterStartupPass,
        rssMaxMB: rssMax,
        specChangeToStatusMs: {
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          max: latencies.at(-1),
        },
        cloudStateChangeToConditionMs: {
          p50: percentile(cloudLatencies, 50),
          p99: percentile(cloudLatencies, 99),
          max: cloudLatencies.at(-1),
        },
        cloudCalls: sandbox.counts().total,
        eventsInNamespace: events.items.length,
        ...(steady ? { steady } : {}),
      },
      null,
      2,
    ),
  );
} finally {
  operator?.kill("SIGTERM");
  await sleep(500);
  if (operator && operator.exitCode === null) operator.kill("SIGKILL");
  await sandbox.close();
  await cp.stop();
}

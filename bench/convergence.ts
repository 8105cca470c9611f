/**
 * Convergence against the API budget (issue 10): --objects resources of mixed kinds (per group
 * of five: one VPC, two Subnets in it, two Volumes) applied at once (16 concurrent creates)
 * against a real kube-apiserver + etcd (audit log on) and the sandbox with its real per-token
 * limits (burst 60, 30 req/s) and fixed provisioning delays (VPC and Subnet 500 ms, Volume
 * 1000 ms), the operator in-process with its defaults (resync 10 min, 4 workers per kind) except
 * --poll and --concurrency (workers per kind). Reports time to all Ready against the floor
 * (creates / 30 req/s + the longest provisioning delay), cloud calls per resource by kind, 429s, kube writes, and writes an SVG of
 * the Ready count over time.
 *
 * With --window > 0 it then measures the steady state: the operator is restarted with --resync
 * (shorter than the 10 min default so that a bounded window spans resyncs), its start-up pass is
 * let settle, and cloud calls / kube writes / CPU / RSS are counted over --window; calls are
 * extrapolated to the default resync by the ratio of resync periods (calls scale with 1/resync).
 *
 *   scripts/with-node --import tsx bench/convergence.ts --objects 1000 [--poll 1s] [--concurrency 4] [--window 120s --resync 60s] [--svg docs/benchmarks/convergence-1000.svg]
 *
 * Bounded: --objects creates, 15 min convergence deadline, one window.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startSandbox } from "../sandbox/server.ts";
import { parseDuration } from "../src/shared/duration.ts";
import { resourceType, SECRET_RESOURCE } from "../src/controllers/kube/resources.ts";
import { configSchema, startOperator } from "../src/main.ts";
import { Informer } from "../src/runtime/informer.ts";
import { KubeClient } from "../src/runtime/kube-client.ts";
import type { KubeObject } from "../src/runtime/resource.ts";
import { startControlPlane } from "../test/support/control-plane.ts";
import { installCrds, sampleObjects } from "../test/integration/controllers/manifests.ts";
import { linePlotSvg } from "./plot-svg.ts";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "100" },
    poll: { type: "string", default: "1s" },
    concurrency: { type: "string", default: "4" },
    window: { type: "string", default: "0s" },
    resync: { type: "string", default: "60s" },
    svg: { type: "string" },
  },
});
const total = Number(values.objects);
const pollMs = parseDuration(values.poll) ?? 1_000;
const windowMs = parseDuration(values.window) ?? 0;
const steadyResyncMs = parseDuration(values.resync) ?? 60_000;
const DEFAULT_RESYNC_MS = 10 * 60_000;
const TOKEN = "cd_sandbox_demo_token";
const RATE = 30;
const DELAYS = { vpc: 500, subnet: 500, volume: 1_000 };
const KINDS = ["VPC", "Subnet", "Volume"] as const;
type Kind = (typeof KINDS)[number];

const groups = Math.ceil(total / 5);
const plan: Array<{ kind: Kind; name: string; spec: Record<string, unknown> }> = [];
for (let g = 0; g < groups && plan.length < total; g++) {
  const cidr = `10.${g % 256}`;
  plan.push({ kind: "VPC", name: `v${g}`, spec: { cidr: `${cidr}.0.0/16` } });
  for (let s = 1; s <= 2 && plan.length < total; s++)
    plan.push({
      kind: "Subnet",
      name: `s${g}-${s}`,
      spec: { vpcRef: { name: `v${g}` }, cidr: `${cidr}.${s}.0/24`, zone: "bd-dha-1a" },
    });
  for (let s = 1; s <= 2 && plan.length < total; s++)
    plan.push({ kind: "Volume", name: `d${g}-${s}`, spec: { sizeGiB: 10, type: "nvme", zone: "bd-dha-1a" } });
}
const perKind = Object.fromEntries(KINDS.map((k) => [k, plan.filter((p) => p.kind === k).length])) as Record<
  Kind,
  number
>;

function kindOfTemplate(template: string): Kind | "other" {
  if (template.includes("/vpcs")) return "VPC";
  if (template.includes("/subnets")) return "Subnet";
  if (template.includes("/volumes")) return "Volume";
  return "other";
}

function auditedWrites(file: string, namespace: string, fromLine: number) {
  const lines = readFileSync(file, "utf8").split("\n");
  let status = 0;
  let other = 0;
  for (const line of lines.slice(fromLine)) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as {
      verb?: string;
      stage?: string;
      objectRef?: { namespace?: string; apiGroup?: string; subresource?: string };
    };
    if (
      e.stage !== "ResponseComplete" ||
      e.objectRef?.namespace !== namespace ||
      e.objectRef.apiGroup !== "clouddigit.ai"
    )
      continue;
    if (!["patch", "update", "create", "delete"].includes(e.verb ?? "")) continue;
    if (e.objectRef.subresource === "status") status++;
    else other++;
  }
  return { lines: lines.length - 1, status, other };
}

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

const cp = await startControlPlane({ audit: true, log: (l) => console.error(`[control-plane] ${l}`) });
const sandbox = await startSandbox({
  tokens: [{ token: TOKEN, projects: ["demo"], name: "bench" }],
  quotas: { vpcs: total + 10, subnets: total + 10, volumes: total + 10 },
  delays: DELAYS,
});
const ns = "bench-convergence";
const operatorConfig = (resync: number) => ({
  ...configSchema.parse({ logLevel: "warn" }),
  namespaces: [ns],
  healthAddress: { host: "127.0.0.1", port: 0 },
  pollInterval: pollMs,
  concurrency: Number(values.concurrency),
  resync,
});
let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
try {
  const kc = cp.kubeConfig();
  const client = new KubeClient(kc);
  await installCrds(client);
  await client.request("POST", "/api/v1/namespaces", { body: { metadata: { name: ns } } });
  for (const obj of sampleObjects(sandbox.url)) {
    if (obj.kind !== "Secret" && obj.kind !== "ProviderConfig") continue;
    const rt = obj.kind === "Secret" ? SECRET_RESOURCE : resourceType("ProviderConfig");
    await client.create(rt, { ...obj, metadata: { ...obj.metadata, namespace: ns } });
  }
  operator = await startOperator(operatorConfig(DEFAULT_RESYNC_MS), kc);
  const auditFile = cp.auditLogPath ?? "";
  const auditStart = auditedWrites(auditFile, ns, 0).lines;
  const load = (await import("node:os")).loadavg();
  const began = Date.now();
  const applying = pool(plan, 16, (p) =>
    client.create(resourceType(p.kind), {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: p.kind,
      metadata: { name: p.name, namespace: ns },
      spec: p.spec,
    }),
  );
  let appliedMs = 0;
  void applying.then(() => (appliedMs = Date.now() - began));
  // Ready transitions as the apiserver streams them (an informer per kind), so the time to all
  // Ready is the moment the last one was seen, not the next tick of a periodic list.
  const samples: Array<[number, number]> = [[0, 0]];
  const ready = new Set<string>();
  let allReadyAt = 0;
  const isReadyObject = (o: KubeObject): boolean =>
    (
      (o.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []
    ).some((c) => c.type === "Ready" && c.status === "True");
  const watchers = KINDS.map((kind) => {
    const informer = new Informer(client, resourceType(kind), { namespaces: [ns] });
    const seen = (o: KubeObject): void => {
      const key = `${kind}/${o.metadata.name ?? ""}`;
      if (!isReadyObject(o) || ready.has(key)) return;
      ready.add(key);
      const t = (Date.now() - began) / 1000;
      samples.push([t, ready.size]);
      if (ready.size >= total && !allReadyAt) allReadyAt = Date.now();
    };
    informer.addEventHandler({ onAdd: seen, onUpdate: (_old, o) => seen(o) });
    informer.start();
    return informer;
  });
  const deadline = began + 15 * 60_000;
  while (!allReadyAt) {
    if (Date.now() > deadline) throw new Error(`only ${ready.size}/${total} Ready within 15 minutes`);
    await sleep(100);
  }
  await Promise.all(watchers.map((w) => w.stop()));
  await applying;
  const convergeMs = allReadyAt - began;
  const counts = sandbox.counts();
  const callsByKind: Record<string, Record<string, number>> = {};
  for (const row of counts.rows) {
    const kind = kindOfTemplate(row.template);
    const byMethod = (callsByKind[kind] ??= {});
    // A GET of the collection itself is a list (the observer's `?ids=`, a lookup by tags).
    const op = row.method === "GET" && !row.template.endsWith("}") ? "LIST" : row.method;
    byMethod[op] = (byMethod[op] ?? 0) + row.count;
  }
  const perResource = Object.fromEntries(
    KINDS.map((k) => {
      const calls = Object.values(callsByKind[k] ?? {}).reduce((a, b) => a + b, 0);
      return [k, { objects: perKind[k], calls, perResource: +(calls / perKind[k]).toFixed(2) }];
    }),
  );
  const writes = auditedWrites(auditFile, ns, auditStart);
  const floorSeconds = total / RATE + Math.max(...Object.values(DELAYS)) / 1000;
  const result: Record<string, unknown> = {
    objects: total,
    workersPerKind: Number(values.concurrency),
    perKind,
    loadAverageAtStart: load.map((l) => +l.toFixed(2)),
    appliedSeconds: +(appliedMs / 1000).toFixed(1),
    allReadySeconds: +(convergeMs / 1000).toFixed(1),
    floorSeconds: +floorSeconds.toFixed(1),
    ratioToFloor: +(convergeMs / 1000 / floorSeconds).toFixed(2),
    cloudCalls: counts.total,
    cloudCallsPerResource: +(counts.total / total).toFixed(2),
    callsByKind,
    perResource,
    responses429: counts.by_status["429"] ?? 0,
    share429: +(((counts.by_status["429"] ?? 0) / counts.total) * 100).toFixed(2),
    statusWrites: writes.status,
    statusWritesPerObject: +(writes.status / total).toFixed(2),
    otherWrites: writes.other,
  };
  if (values.svg) {
    writeFileSync(
      values.svg,
      linePlotSvg({
        title: `${total} mixed resources (VPC/Subnet/Volume) to Ready, sandbox 30 req/s`,
        xLabel: "seconds since apply",
        yLabel: "Ready objects",
        series: [{ label: "Ready count", color: "#1565c0", points: samples }],
        markers: [{ x: floorSeconds, label: `floor ${floorSeconds.toFixed(1)} s` }],
      }),
    );
  }
  console.error(JSON.stringify(result, null, 2));

  if (windowMs > 0) {
    await operator.stop();
    operator = undefined;
    await sleep(1_000);
    sandbox.resetCalls();
    const mark = auditedWrites(auditFile, ns, 0).lines;
    const restartAt = Date.now();
    operator = await startOperator(operatorConfig(steadyResyncMs), kc);
    // The start-up pass: every object reconciled once (a GET each); wait until calls go quiet.
    let last = -1;
    while (sandbox.counts().total !== last) {
      last = sandbox.counts().total;
      await sleep(3_000);
    }
    const startup = sandbox.counts().total;
    const startupWrites = auditedWrites(auditFile, ns, mark);
    const startupSeconds = (Date.now() - restartAt) / 1000;
    sandbox.resetCalls();
    const mark2 = auditedWrites(auditFile, ns, 0).lines;
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    let rssMax = 0;
    while (Date.now() - t0 < windowMs) {
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
      await sleep(1_000);
    }
    const cpu = process.cpuUsage(cpu0);
    const elapsed = (Date.now() - t0) / 1000;
    const steady = sandbox.counts();
    const steadyWrites = auditedWrites(auditFile, ns, mark2);
    const callsPerHourMeasured = (steady.total / elapsed) * 3600;
    const callsPerHourDefault = callsPerHourMeasured * (steadyResyncMs / DEFAULT_RESYNC_MS);
    const steadyResult = {
      resyncSeconds: steadyResyncMs / 1000,
      windowSeconds: +elapsed.toFixed(1),
      loadAverage: (await import("node:os")).loadavg().map((l) => +l.toFixed(2)),
      restartStartupCalls: startup,
      restartStartupSeconds: +startupSeconds.toFixed(1),
      restartStatusWrites: startupWrites.status,
      restartOtherWrites: startupWrites.other,
      windowCloudCalls: steady.total,
      windowByMethod: steady.by_method,
      callsPerHourAtMeasuredResync: Math.round(callsPerHourMeasured),
      callsPerHourAtDefaultResync: Math.round(callsPerHourDefault),
      budgetShareAtDefaultResync: +((callsPerHourDefault / (RATE * 3600)) * 100).toFixed(2),
      windowStatusWrites: steadyWrites.status,
      windowOtherWrites: steadyWrites.other,
      kubeWritesPerHour: Math.round(((steadyWrites.status + steadyWrites.other) / elapsed) * 3600),
      processCpuPercent: +(((cpu.user + cpu.system) / 1e6 / elapsed) * 100).toFixed(1),
      processRssMaxMB: +(rssMax / 2 ** 20).toFixed(0),
    };
    console.error(JSON.stringify({ steady: steadyResult }, null, 2));
  }
} finally {
  await operator?.stop();
  await sandbox.close();
  await cp.stop();
}

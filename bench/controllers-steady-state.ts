/**
 * Convergence time and steady-state cost of the managed-resource controllers, against a real
 * kube-apiserver + etcd (audit log on) and the sandbox with its real per-token rate limits, the
 * operator in-process. Creates --objects objects (half VPCs, half Subnets each referencing one of
 * the VPCs, applied together so half of them first wait on a dependency), measures the time until
 * all are Ready and the calls spent, then counts cloud calls and Kubernetes writes in a quiet
 * window that spans several drift resyncs.
 *
 *   scripts/with-node --import tsx bench/controllers-steady-state.ts [--objects 200] [--resync 20s] [--window 60s]
 *
 * Bounded: --objects creates, one window of --window.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startSandbox } from "../sandbox/server.ts";
import { parseDuration } from "../src/shared/duration.ts";
import { resourceType, SECRET_RESOURCE } from "../src/controllers/kube/resources.ts";
import { configSchema, startOperator } from "../src/main.ts";
import { KubeClient } from "../src/runtime/kube-client.ts";
import { startControlPlane } from "../test/support/control-plane.ts";
import { installCrds, sampleObjects } from "../test/integration/controllers/manifests.ts";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "200" },
    resync: { type: "string", default: "20s" },
    window: { type: "string", default: "60s" },
  },
});
const total = Number(values.objects);
const resyncMs = parseDuration(values.resync) ?? 20_000;
const windowMs = parseDuration(values.window) ?? 60_000;
const vpcs = Math.ceil(total / 2);
const subnets = total - vpcs;
const TOKEN = "cd_sandbox_demo_token";

function auditedWrites(
  file: string,
  namespace: string,
  fromLine: number,
): { lines: number; status: number; other: number } {
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

const cp = await startControlPlane({ audit: true, log: (l) => console.error(`[control-plane] ${l}`) });
const sandbox = await startSandbox({
  tokens: [{ token: TOKEN, projects: ["demo"], name: "bench" }],
  quotas: { vpcs: vpcs + 10, subnets: subnets + 10 },
  delays: { vpc: 200, subnet: 200 },
});
let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
try {
  const kc = cp.kubeConfig();
  const client = new KubeClient(kc);
  await installCrds(client);
  const ns = "bench-controllers";
  await client.request("POST", "/api/v1/namespaces", { body: { metadata: { name: ns } } });
  for (const obj of sampleObjects(sandbox.url)) {
    if (obj.kind !== "Secret" && obj.kind !== "ProviderConfig") continue;
    const rt = obj.kind === "Secret" ? SECRET_RESOURCE : resourceType("ProviderConfig");
    await client.create(rt, { ...obj, metadata: { ...obj.metadata, namespace: ns } });
  }
  operator = await startOperator(
    {
      ...configSchema.parse({ logLevel: "warn" }),
      namespaces: [ns],
      healthAddress: { host: "127.0.0.1", port: 0 },
      pollInterval: 500,
      resync: resyncMs,
    },
    kc,
  );
  const auditFile = cp.auditLogPath ?? "";
  const began = Date.now();
  const create = (kind: "VPC" | "Subnet", name: string, spec: Record<string, unknown>) =>
    client.create(resourceType(kind), {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind,
      metadata: { name, namespace: ns },
      spec,
    });
  // Subnets first: they wait on their VPC, which exercises the dependency watches at scale.
  for (let i = 0; i < subnets; i++) {
    await create("Subnet", `s${i}`, {
      vpcRef: { name: `v${i % vpcs}` },
      cidr: `10.${i % vpcs}.${Math.floor(i / vpcs) + 1}.0/24`,
      zone: "bd-dha-1a",
    });
  }
  for (let i = 0; i < vpcs; i++) await create("VPC", `v${i}`, { cidr: `10.${i}.0.0/16` });
  const ready = async (): Promise<number> => {
    let n = 0;
    for (const kind of ["VPC", "Subnet"] as const) {
      const list = await client.list(resourceType(kind), { namespace: ns });
      for (const o of list.items) {
        const conditions = (o.status as { conditions?: Array<{ type: string; status: string }> } | undefined)
          ?.conditions;
        if (conditions?.some((c) => c.type === "Ready" && c.status === "True")) n++;
      }
    }
    return n;
  };
  const deadline = began + 600_000;
  while ((await ready()) < total) {
    if (Date.now() > deadline) throw new Error("objects did not converge within 10 minutes");
    await sleep(250);
  }
  const convergeMs = Date.now() - began;
  const convergeCalls = sandbox.counts();
  const convergeWrites = auditedWrites(auditFile, ns, 0);

  await sleep(2_000);
  sandbox.resetCalls();
  const mark = auditedWrites(auditFile, ns, 0).lines;
  await sleep(windowMs);
  const steady = sandbox.counts();
  const steadyWrites = auditedWrites(auditFile, ns, mark);
  const result = {
    objects: total,
    convergeSeconds: +(convergeMs / 1000).toFixed(1),
    convergeCloudCalls: convergeCalls.total,
    convergeCloudCallsByMethod: convergeCalls.by_method,
    converge429: convergeCalls.by_status["429"] ?? 0,
    convergeStatusWrites: convergeWrites.status,
    convergeOtherWrites: convergeWrites.other,
    resyncSeconds: resyncMs / 1000,
    windowSeconds: windowMs / 1000,
    steadyCloudCalls: steady.total,
    steadyCloudCallsByMethod: steady.by_method,
    steadyGetsPerObjectPerResync: +(steady.total / total / (windowMs / resyncMs)).toFixed(2),
    steadyStatusWrites: steadyWrites.status,
    steadyOtherWrites: steadyWrites.other,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await operator?.stop();
  await sandbox.close();
  await cp.stop();
}

// The image as the chart's pod: run with podman as a kubelet would (read-only root, no
// capabilities, no-new-privileges, uid 65532, the chart's env and memory limit), configured
// in-cluster from KUBERNETES_SERVICE_HOST/PORT and a service-account mount written the kubelet's
// way, against the run's real kube-apiserver and a sandbox on loopback. The chart's probes run as
// the kubelet runs them. The token is rotated and the old one revoked while the operator works:
// it must carry on with the new one, without a restart.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceType, SECRET_RESOURCE } from "../../src/controllers/kube/resources.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { isConverged, type ManagedObj } from "../reliability/support.ts";
import { waitUntil } from "../support/process.ts";
import {
  applyChartIdentity,
  boundToken,
  bytesOf,
  inspect,
  leaseHolder,
  podman,
  Prober,
  startImageEnv,
  statusWithToken,
  type ImageEnv,
  type OperatorContainer,
  type ServiceAccountMount,
} from "./support.ts";

let env: ImageEnv;
let mount: ServiceAccountMount;
let firstToken: string;
let operator: OperatorContainer;
let liveness: Prober;
let readiness: Prober;

function vpc(name: string, octet: number): KubeObject {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "VPC",
    metadata: { name },
    spec: { cidr: `10.${octet}.0.0/16`, providerConfigRef: { name: "default" } },
  };
}

async function waitReady(name: string): Promise<ManagedObj> {
  let last: ManagedObj | undefined;
  await waitUntil(
    `VPC ${name} Ready`,
    async () => {
      last = await env.client.get<ManagedObj>(resourceType("VPC"), env.namespace, name);
      return isConverged(last);
    },
    { timeoutMs: 90_000, intervalMs: 250, whileAlive: operator.process },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\nstatus: ${JSON.stringify(last?.status)}\n${operator.process.tail(40)}`);
  });
  return last!;
}

function operatorLog(): string {
  return readFileSync(operator.process.logFile, "utf8");
}

beforeAll(async () => {
  // The ServiceAccount only: RBAC comes later, in the readiness test.
  env = await startImageEnv("img", { rbac: false, sandbox: { delays: { vpc: 200 } } });
  ({ mount, token: firstToken } = await env.mount("sa"));
  operator = await env.run(`${env.namespace}-0`, mount);
  liveness = new Prober(env.chart.container.livenessProbe!, operator.port);
  readiness = new Prober(env.chart.container.readinessProbe!, operator.port);
});

afterAll(async () => {
  liveness?.stop();
  readiness?.stop();
  await env?.close();
});

describe("the image in-cluster, as the chart runs it", () => {
  it("passes the chart's startup probe, is not ready until RBAC lets its caches sync, and stays live", async () => {
    const startup = new Prober(env.chart.container.startupProbe!, operator.port);
    await startup.untilSuccess(operator.process);
    liveness.start();
    readiness.start();
    // No RBAC yet: every list is forbidden, so readiness must fail while liveness passes (a
    // liveness failure here would have the kubelet restart an operator that only waits for RBAC).
    await waitUntil("two readiness probes", async () => readiness.statuses.length >= 2, {
      timeoutMs: 30_000,
    });
    expect(readiness.statuses.slice(0, 2)).toEqual([503, 503]);
    await applyChartIdentity(env.chart);
    await waitUntil("readiness", async () => readiness.lastStatus === 200, {
      timeoutMs: 90_000,
      intervalMs: 500,
      whileAlive: operator.process,
    });
    await waitUntil(
      "the Lease",
      async () =>
        (await leaseHolder(env.client, env.namespace, env.chart.leaseName))?.spec?.holderIdentity?.startsWith(
          operator.name,
        ) === true,
      {
        timeoutMs: 30_000,
      },
    );
    expect(liveness.failed).toBe(false);
    expect(liveness.statuses.every((s) => s === 200)).toBe(true);
    const c = await inspect(operator.name);
    expect(c.user).toBe("65532:65532");
    expect(c.memory).toBe(bytesOf(String(env.chart.container.resources?.limits?.memory)));
    // The chart's memory settings reached the operator process (PID 1) and Node honours them.
    const memory = (env.chart.container.env ?? []).filter((e) => /^(NODE_OPTIONS|MALLOC_)/.test(e.name));
    expect(memory.map((e) => e.name).sort()).toEqual([
      "MALLOC_ARENA_MAX",
      "MALLOC_MMAP_THRESHOLD_",
      "MALLOC_TRIM_THRESHOLD_",
      "NODE_OPTIONS",
    ]);
    const pid1 = await podman([
      "exec",
      operator.name,
      "/nodejs/bin/node",
      "-e",
      'const fs=require("fs"),v8=require("v8");process.stdout.write(JSON.stringify({env:fs.readFileSync("/proc/1/environ","utf8").split("\\0"),limit:v8.getHeapStatistics().heap_size_limit}))',
    ]);
    const seen = JSON.parse(pid1) as { env: string[]; limit: number };
    for (const e of memory) expect(seen.env).toContain(`${e.name}=${e.value}`);
    const oldSpaceMiB = Number(
      /--max-old-space-size=(\d+)/.exec(memory.find((e) => e.name === "NODE_OPTIONS")?.value ?? "")?.[1],
    );
    expect(seen.limit / 1024 ** 2).toBeGreaterThanOrEqual(oldSpaceMiB);
    expect(seen.limit / 1024 ** 2).toBeLessThan(oldSpaceMiB + 64);
  });

  it("keeps working after its token is rotated and the old one revoked, without a restart", async () => {
    await env.apply(vpc("before-rotation", 1));
    await waitReady("before-rotation");
    const started = await inspect(operator.name);

    mount.write(
      await boundToken(env.client, env.core, env.namespace, env.chart.serviceAccount, "sa-token-2"),
    );
    await env.client.delete(SECRET_RESOURCE, env.namespace, "sa-token-1");
    // The first token is revoked: the API server refuses it from now on.
    await waitUntil(
      "the first token refused",
      async () =>
        (await statusWithToken(firstToken, `/api/v1/namespaces/${env.namespace}/configmaps`)) === 401,
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    const revokedAt = Date.now();

    await env.apply(vpc("after-rotation", 2));
    const after = await waitReady("after-rotation");
    expect(after.status?.id).toBeDefined();
    // The Lease is still renewed by the same holder: the renewals carry the new token.
    await waitUntil(
      "a Lease renewal after the revocation",
      async () => {
        const lease = await leaseHolder(env.client, env.namespace, env.chart.leaseName);
        return Date.parse(lease?.spec?.renewTime ?? "") > revokedAt + 1_000;
      },
      { timeoutMs: 30_000, intervalMs: 500, whileAlive: operator.process },
    );
    const lease = await leaseHolder(env.client, env.namespace, env.chart.leaseName);
    expect(lease?.spec?.holderIdentity?.startsWith(operator.name)).toBe(true);
    expect(await inspect(operator.name)).toMatchObject({
      running: true,
      startedAt: started.startedAt,
      restarts: 0,
    });
    expect(operatorLog()).not.toContain("leadership lost");
    expect(liveness.failed).toBe(false);
    expect(readiness.lastStatus).toBe(200);
  });

  it("on SIGTERM releases the Lease and exits 0 within the chart's grace period", async () => {
    liveness.stop();
    readiness.stop();
    const grace = (env.chart.pod.terminationGracePeriodSeconds ?? 30) * 1000;
    await podman(["kill", "--signal", "TERM", operator.name]);
    const code = await Promise.race([
      operator.process.exited,
      new Promise<string>((r) => setTimeout(() => r("still running after the grace period"), grace)),
    ]);
    expect(code).toBe(0);
    expect(operatorLog()).toContain("manager stopped");
    expect(
      (await leaseHolder(env.client, env.namespace, env.chart.leaseName))?.spec?.holderIdentity ?? "",
    ).toBe("");
  });
});

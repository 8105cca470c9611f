// Shared setup for the controller integration tests: the real apiserver with the CRDs installed,
// the in-process sandbox, and the operator running in-process against both.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../../sandbox/server.ts";
import { configSchema, startOperator } from "../../../src/main.ts";
import type { ManagedKind, ManagedObject } from "../../../src/controllers/generic/actuator.ts";
import type { ReconcilerTiming } from "../../../src/controllers/generic/timing.ts";
import { resourceType } from "../../../src/controllers/kube/resources.ts";
import { KubeClient, isNotFound } from "../../../src/runtime/kube-client.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { resolveKubeBinaries } from "../../support/control-plane.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { waitUntil } from "../../support/process.ts";
import { installCrds, namespacedObjects, sampleObjects } from "./manifests.ts";

export { installCrds, sampleObjects };

export const SAMPLE_TOKEN = "cd_sandbox_demo_token";
export const SAMPLE_PROJECT = "demo";

export interface Env {
  kc: KubeConfig;
  client: KubeClient;
  namespace: string;
  sandbox: Sandbox;
  operator: Awaited<ReturnType<typeof startOperator>>;
  kubectl(...args: string[]): Promise<string>;
  apply(obj: KubeObject): Promise<KubeObject>;
  get(kind: ManagedKind, name: string): Promise<ManagedObject | undefined>;
  condition(
    kind: ManagedKind,
    name: string,
    type: string,
  ): Promise<{ status: string; reason: string; message: string } | undefined>;
  waitFor(what: string, probe: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  waitCondition(
    kind: ManagedKind,
    name: string,
    type: string,
    status: string,
    reason?: string,
  ): Promise<void>;
  remove(kind: ManagedKind, name: string): Promise<void>;
  waitGone(kind: ManagedKind, name: string): Promise<void>;
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

export async function startEnv(
  prefix: string,
  opts: {
    sandbox?: SandboxOptions;
    resync?: number;
    stalledRetryMs?: number;
    /** Other reconciler timings (the watch fallback, ...). */
    timing?: Partial<ReconcilerTiming>;
  } = {},
): Promise<Env> {
  const cluster = testCluster();
  const kc = cluster.kubeConfig();
  const client = new KubeClient(kc);
  await installCrds(client);
  const namespace = await createNamespace(kc, prefix);
  const sandbox = await startSandbox({
    tokens: [{ token: SAMPLE_TOKEN, projects: [SAMPLE_PROJECT], name: "samples" }],
    delays: { vpc: 150, subnet: 150, server: 300, volume: 150 },
    ...opts.sandbox,
  });
  const config = {
    ...configSchema.parse({ logLevel: process.env.OPERATOR_LOG_LEVEL ?? "warn" }),
    namespaces: [namespace],
    healthAddress: { host: "127.0.0.1", port: 0 },
    pollInterval: 250,
    resync: opts.resync ?? 10 * 60_000,
  };
  const operator = await startOperator(config, kc, {
    ...opts.timing,
    ...(opts.stalledRetryMs !== undefined ? { stalledRetryMs: opts.stalledRetryMs } : {}),
  });
  const { kubectl: kubectlBin } = resolveKubeBinaries();

  const env: Env = {
    kc,
    client,
    namespace,
    sandbox,
    operator,
    async kubectl(...args) {
      const { stdout } = await execFileAsync(
        kubectlBin,
        ["--kubeconfig", cluster.kubeconfigPath, "-n", namespace, ...args],
        {
          timeout: 120_000,
        },
      );
      return stdout;
    },
    ...namespacedObjects(client, namespace, "clouddigit-controller-tests"),
    async waitFor(what, probe, timeoutMs = 60_000) {
      await waitUntil(what, probe, { timeoutMs, intervalMs: 150 });
    },
    async waitCondition(kind, name, type, status, reason) {
      await env.waitFor(`${kind} ${name} ${type}=${status}${reason ? ` (${reason})` : ""}`, async () => {
        const c = await env.condition(kind, name, type);
        return c?.status === status && (reason === undefined || c.reason === reason);
      });
    },
    async remove(kind, name) {
      try {
        await client.delete(resourceType(kind), namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async waitGone(kind, name) {
      await env.waitFor(`${kind} ${name} gone`, async () => (await env.get(kind, name)) === undefined);
    },
    async stop() {
      await operator.stop();
      await sandbox.close();
    },
  };
  return env;
}

/** Creates a resource directly through the sandbox's API, as another tool would. */
export async function createInCloud(
  env: Pick<Env, "sandbox">,
  path: string,
  body: Record<string, unknown>,
): Promise<{ id: string }> {
  const res = await fetch(`${env.sandbox.apiUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-cd-token": SAMPLE_TOKEN,
      "x-cd-project": SAMPLE_PROJECT,
    },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
}

/** Applies the ProviderConfig and its Secret from the samples. */
export async function applyProviderConfig(env: Env): Promise<void> {
  for (const obj of sampleObjects(env.sandbox.url)) {
    if (obj.kind === "Secret" || obj.kind === "ProviderConfig") await env.apply(obj);
  }
}

/** Status writes (and their count) the apiserver audited for objects of this namespace since `sinceLine`. */
export function auditedStatusWrites(namespace: string, sinceLine = 0): { lines: number; writes: string[] } {
  const file = testCluster().auditLogPath;
  if (!file) throw new Error("the test apiserver has no audit log");
  const lines = readFileSync(file, "utf8").split("\n");
  const writes: string[] = [];
  for (const line of lines.slice(sinceLine)) {
    if (line.trim() === "") continue;
    const entry = JSON.parse(line) as {
      verb?: string;
      stage?: string;
      objectRef?: {
        namespace?: string;
        resource?: string;
        name?: string;
        subresource?: string;
        apiGroup?: string;
      };
    };
    const ref = entry.objectRef;
    if (
      entry.stage !== "ResponseComplete" ||
      ref?.namespace !== namespace ||
      ref.apiGroup !== "clouddigit.ai"
    )
      continue;
    if (
      entry.verb === "patch" ||
      entry.verb === "update" ||
      entry.verb === "create" ||
      entry.verb === "delete"
    ) {
      writes.push(
        `${entry.verb} ${ref.resource ?? ""}/${ref.name ?? ""}${ref.subresource ? `/${ref.subresource}` : ""}`,
      );
    }
  }
  return { lines: lines.length - 1, writes };
}

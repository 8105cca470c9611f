// Helpers for the deployment tests: the real helm and kubectl binaries, chart rendering, applying
// rendered objects as the admin, a kubeconfig for a ServiceAccount token, and the audit log.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject, ResourceType } from "../../../src/runtime/resource.ts";
import { resolveKubeBinaries } from "../../support/control-plane.ts";
import { testCluster } from "../../support/cluster.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const CHART = path.join(ROOT, "charts/clouddigit-operator");
const execFileAsync = promisify(execFile);

let helmPath: string | undefined;
/** helm from scripts/testbin (built once, cached outside the clone). */
export function helmBin(): string {
  if (process.env.CLOUDDIGIT_HELM) return process.env.CLOUDDIGIT_HELM;
  helmPath ??= /^CLOUDDIGIT_HELM=(.*)$/m.exec(
    execFileSync(path.join(ROOT, "scripts/testbin"), ["--print-env", "helm"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  )?.[1];
  if (!helmPath) throw new Error("helm not found; run scripts/testbin helm");
  return helmPath;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary; never throws on a non-zero exit (the result says how it went). */
export async function run(bin: string, args: string[], input?: string): Promise<RunResult> {
  const child = execFileAsync(bin, args, {
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HELM_CACHE_HOME: helmHome("cache"), HELM_CONFIG_HOME: helmHome("config") },
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

// Helm writes caches and repository config; keep them out of the user's home, in the clone's
// ignored cache folder (reused by later runs, gone with the clone).
function helmHome(kind: string): string {
  return path.join(ROOT, ".cache", "helm", kind);
}

export function kubectlBin(): string {
  return resolveKubeBinaries().kubectl;
}

/** `kubectl --kubeconfig <test cluster> ...` with optional stdin. */
export async function kubectl(args: string[], input?: string): Promise<RunResult> {
  return run(kubectlBin(), ["--kubeconfig", testCluster().kubeconfigPath, ...args], input);
}

/** `helm template` of the chart with these values (written to a temp values file). */
export async function helmTemplate(
  release: string,
  namespace: string,
  values: Record<string, unknown> = {},
): Promise<RunResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cd-values-"));
  try {
    const file = path.join(dir, "values.yaml");
    // YAML 1.1 quoting, as Helm reads it: an unquoted yes would be a boolean there.
    writeFileSync(file, stringify(values, { version: "1.1" }));
    return await run(helmBin(), ["template", release, CHART, "--namespace", namespace, "--values", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseObjects(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === "object" && "kind" in o);
}

const RESOURCES: Record<string, ResourceType> = {
  ServiceAccount: {
    group: "",
    version: "v1",
    plural: "serviceaccounts",
    kind: "ServiceAccount",
    namespaced: true,
  },
  ClusterRole: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "clusterroles",
    kind: "ClusterRole",
    namespaced: false,
  },
  ClusterRoleBinding: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "clusterrolebindings",
    kind: "ClusterRoleBinding",
    namespaced: false,
  },
  Role: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "roles",
    kind: "Role",
    namespaced: true,
  },
  RoleBinding: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "rolebindings",
    kind: "RoleBinding",
    namespaced: true,
  },
};

export const RBAC_KINDS = Object.keys(RESOURCES);

/** Server-side applies ServiceAccounts and RBAC objects as the admin (other kinds are refused). */
export async function applyAsAdmin(objects: KubeObject[]): Promise<void> {
  const client = new KubeClient(testCluster().kubeConfig());
  for (const obj of objects) {
    const rt = RESOURCES[obj.kind ?? ""];
    if (!rt) throw new Error(`applyAsAdmin does not handle ${obj.kind ?? "?"}`);
    await client.patch(rt, obj.metadata.namespace, obj.metadata.name ?? "", obj, "apply", {
      fieldManager: "clouddigit-deploy-tests",
      force: true,
    });
  }
}

export async function deleteAsAdmin(objects: KubeObject[]): Promise<void> {
  const client = new KubeClient(testCluster().kubeConfig());
  for (const obj of objects) {
    const rt = RESOURCES[obj.kind ?? ""];
    if (!rt) continue;
    try {
      await client.delete(rt, obj.metadata.namespace, obj.metadata.name ?? "");
    } catch {
      // already gone
    }
  }
}

/** A token for a ServiceAccount, from the TokenRequest API (what the kubelet would mount). */
export async function serviceAccountToken(namespace: string, name: string, seconds = 3600): Promise<string> {
  const core = testCluster().kubeConfig().makeApiClient(k8s.CoreV1Api);
  const result = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: seconds } },
  });
  const token = result.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}

/** A kubeconfig that authenticates with `token` only (no client certificate). */
export function tokenKubeConfig(token: string): k8s.KubeConfig {
  const cluster = testCluster();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "test",
        server: cluster.server,
        caData: Buffer.from(cluster.caCertPem).toString("base64"),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: "sa", token }],
    contexts: [{ name: "sa", cluster: "test", user: "sa" }],
    currentContext: "sa",
  });
  return kc;
}

export interface AuditEntry {
  verb: string;
  code: number;
  apiGroup: string;
  resource: string;
  namespace: string;
  name: string;
}

/** Completed requests of one user from the test apiserver's audit log, after line `since`. */
export function auditedRequests(username: string, since = 0): { lines: number; entries: AuditEntry[] } {
  const file = testCluster().auditLogPath;
  if (!file) throw new Error("the test apiserver has no audit log");
  const lines = readFileSync(file, "utf8").split("\n");
  const entries: AuditEntry[] = [];
  for (const line of lines.slice(since)) {
    if (line.trim() === "") continue;
    const e = JSON.parse(line) as {
      stage?: string;
      verb?: string;
      user?: { username?: string };
      responseStatus?: { code?: number };
      objectRef?: {
        apiGroup?: string;
        resource?: string;
        subresource?: string;
        namespace?: string;
        name?: string;
      };
    };
    if (e.user?.username !== username) continue;
    // Watches are logged at ResponseStarted and again when they end; the start carries the verdict.
    if (e.stage !== "ResponseComplete" && !(e.verb === "watch" && e.stage === "ResponseStarted")) continue;
    const ref = e.objectRef ?? {};
    entries.push({
      verb: e.verb ?? "",
      code: e.responseStatus?.code ?? 0,
      apiGroup: ref.apiGroup ?? "",
      resource: ref.subresource ? `${ref.resource ?? ""}/${ref.subresource}` : (ref.resource ?? ""),
      namespace: ref.namespace ?? "",
      name: ref.name ?? "",
    });
  }
  return { lines: lines.length - 1, entries };
}

/** The audit log's current length, to read only what comes after. */
export function auditMark(): number {
  const file = testCluster().auditLogPath;
  if (!file) throw new Error("the test apiserver has no audit log");
  return readFileSync(file, "utf8").split("\n").length - 1;
}

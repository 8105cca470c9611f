// The reliability tier's harness: the real apiserver, the sandbox in this process, and the
// operator binary (src/main.ts) as child processes under its own ServiceAccount identity, so the
// audit log can tell its requests from the test's. Plus the figures every test reports:
// duplicates and leaks by ownership tag, per-token call rates, and the secret scan.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { stringify } from "yaml";
import { startSandbox, type CallRecord, type Sandbox, type SandboxOptions } from "../../sandbox/server.ts";
import type { ManagedKind } from "../../src/controllers/generic/actuator.ts";
import { resourceType, SECRET_RESOURCE } from "../../src/controllers/kube/resources.ts";
import { isNotFound, KubeClient } from "../../src/runtime/kube-client.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { installCrds } from "../integration/controllers/manifests.ts";
import { createNamespace, testCluster } from "../support/cluster.ts";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "../support/process.ts";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PROJECT = "reliability";
export const TENANT_TOKEN_LABEL = "tenant";
export const MANAGED_KINDS: ManagedKind[] = ["VPC", "Subnet", "SSHKey", "Volume", "VM"];
export const OWNER_TAG = "clouddigit.ai/owner";

/** The operator binary's leader-election defaults: lease 15 s, retry period 2 s (+20% jitter). */
export const LEASE_MS = 15_000;
export const RETRY_MS = 2_000;
/**
 * How soon a standby must hold the Lease after the leader was killed: it may have seen the last
 * renewal up to one (jittered) retry period late, and notices the expiry at its next attempt:
 * lease + 2 x retry x 1.2, plus 2 s for a loaded 2-core machine.
 */
export const TAKEOVER_BOUND_MS = LEASE_MS + 2 * RETRY_MS * 1.2 + 2_000;

/** Waits until the sandbox has answered `count` writes (any method but GET) since `since`. */
export async function waitCloudWrites(sandbox: Sandbox, since: number, count: number): Promise<void> {
  await waitUntil(
    `${count} cloud writes`,
    async () => sandbox.calls({ since }).filter((c) => c.method !== "GET").length >= count,
    { timeoutMs: 60_000, intervalMs: 20 },
  );
}

/** Waits until the Lease (as `holder` reads it) has a holder other than `previous`; returns it. */
export async function waitNewHolder(
  holder: () => Promise<string | undefined>,
  previous: string | undefined,
  whileAlive?: ManagedProcess,
): Promise<string> {
  let current: string | undefined;
  await waitUntil(
    "a new lease holder",
    async () => {
      current = await holder();
      return current !== undefined && current !== previous;
    },
    { timeoutMs: 60_000, intervalMs: 100, whileAlive },
  );
  return current!;
}

/** Where figures and logs of a run go (outside the clone). */
export const RESULTS_DIR = process.env.RELIABILITY_RESULTS_DIR ?? path.join(os.tmpdir(), "cd-reliability");

export interface ManagedObj extends KubeObject {
  spec?: Record<string, unknown>;
  status?: {
    id?: string;
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface OperatorHandle {
  process: ManagedProcess;
  healthPort: number;
  logFile: string;
}

export interface ReliabilityEnv {
  kc: k8s.KubeConfig;
  client: KubeClient;
  core: k8s.CoreV1Api;
  namespace: string;
  sandbox: Sandbox;
  token: string;
  /** Every secret value this env handed out: the scan looks for each (and its base64). */
  secrets: string[];
  dir: string;
  /** kubeconfig of the operator's own ServiceAccount identity. */
  operatorKubeconfig: string;
  /** `system:serviceaccount:<ns>:<name>` of the operator, as the audit log shows it. */
  operatorUser: string;
  operators: OperatorHandle[];
  apply(obj: KubeObject, namespace?: string): Promise<KubeObject>;
  startOperator(opts?: {
    leaderElect?: boolean;
    logLevel?: string;
    namespaces?: string[];
    extraArgs?: string[];
  }): Promise<OperatorHandle>;
  close(): Promise<void>;
}

export async function startReliabilityEnv(
  prefix: string,
  opts: { sandbox?: SandboxOptions; seed: number },
): Promise<ReliabilityEnv> {
  const cluster = testCluster();
  const kc = cluster.kubeConfig();
  const client = new KubeClient(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await installCrds(client);
  const namespace = await createNamespace(kc, prefix);
  const dir = path.join(RESULTS_DIR, "runs", namespace);
  mkdirSync(dir, { recursive: true });
  const token = `cd_rel_${randomBytes(18).toString("hex")}`;
  const sandbox = await startSandbox({
    tokens: [{ token, projects: [PROJECT], name: TENANT_TOKEN_LABEL }],
    seed: opts.seed,
    delays: { vpc: 100, subnet: 100, server: 200, volume: 100 },
    quotas: { vpcs: 1000, subnets: 1000, ssh_keys: 1000, servers: 1000, volumes: 1000 },
    ...opts.sandbox,
  });
  const identity = await operatorIdentity(kc, core, namespace, dir);
  const env: ReliabilityEnv = {
    kc,
    client,
    core,
    namespace,
    sandbox,
    token,
    secrets: [token, identity.token],
    dir,
    operatorKubeconfig: identity.kubeconfig,
    operatorUser: identity.user,
    operators: [],
    async apply(obj, ns = namespace) {
      const kind = obj.kind ?? "";
      const rt = kind === "Secret" ? SECRET_RESOURCE : resourceType(kind as ManagedKind | "ProviderConfig");
      const body = { ...obj, metadata: { ...obj.metadata, namespace: ns } };
      return client.patch(rt, ns, obj.metadata.name ?? "", body, "apply", {
        fieldManager: "reliability-tests",
        force: true,
      });
    },
    async startOperator(o = {}) {
      const healthPort = await freePort();
      const logFile = path.join(dir, `operator-${env.operators.length + 1}.log`);
      const args = [
        "--import",
        "tsx",
        "src/main.ts",
        "--kubeconfig",
        identity.kubeconfig,
        "--namespaces",
        (o.namespaces ?? [namespace]).join(","),
        "--health-address",
        `127.0.0.1:${healthPort}`,
        "--poll-interval",
        "250ms",
        "--log-level",
        o.logLevel ?? process.env.RELIABILITY_OPERATOR_LOG_LEVEL ?? "info",
        ...(o.leaderElect
          ? ["--leader-elect", "--leader-election-namespace", namespace, "--leader-election-id", "rel"]
          : []),
        ...(o.extraArgs ?? []),
      ];
      const proc = startProcess(
        `operator-${env.operators.length + 1}`,
        path.join(root, "scripts/with-node"),
        args,
        {
          cwd: root,
          logFile,
        },
      );
      const handle = { process: proc, healthPort, logFile };
      env.operators.push(handle);
      await waitUntil(
        "operator healthy",
        async () => (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).ok,
        { timeoutMs: 90_000, intervalMs: 200, whileAlive: proc },
      );
      return handle;
    },
    async close() {
      await Promise.all(env.operators.map((o) => o.process.stop(5_000)));
      await sandbox.close();
    },
  };
  await env.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "clouddigit-credentials" },
    stringData: { token },
  });
  await env.apply(providerConfig("default", sandbox.url, "clouddigit-credentials"));
  return env;
}

export function providerConfig(name: string, apiUrl: string, secretName: string): KubeObject {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "ProviderConfig",
    metadata: { name },
    spec: {
      region: "bd-dha-1",
      project: PROJECT,
      endpoints: { api: apiUrl },
      credentials: { source: "APIToken", apiToken: { secretRef: { name: secretName, key: "token" } } },
    },
  };
}

/**
 * A ServiceAccount bound to cluster-admin and a kubeconfig with its token: the operator gets all
 * the rights it could want, so the audit log (not RBAC) is what shows where it actually reached.
 */
async function operatorIdentity(
  kc: k8s.KubeConfig,
  core: k8s.CoreV1Api,
  namespace: string,
  dir: string,
): Promise<{ kubeconfig: string; token: string; user: string }> {
  const name = "clouddigit-operator";
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: `${namespace}-operator` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  });
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3 * 3600 } },
  });
  const token = request.status?.token ?? "";
  const cluster = kc.getCurrentCluster();
  if (!cluster || token === "") throw new Error("no cluster or no token for the operator identity");
  const caData =
    cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString("base64") : undefined);
  const file = path.join(dir, "operator.kubeconfig");
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server: cluster.server, "certificate-authority-data": caData } }],
      users: [{ name: "operator", user: { token } }],
      contexts: [{ name: "operator", context: { cluster: "test", user: "operator" } }],
      "current-context": "operator",
    }),
    { mode: 0o600 },
  );
  return { kubeconfig: file, token, user: `system:serviceaccount:${namespace}:${name}` };
}

// --- the resources -------------------------------------------------------------------------------

/** An ssh-ed25519 public key line from seeded bytes (the sandbox checks the wire format only). */
export function ed25519PublicKey(random: () => number): string {
  const type = Buffer.from("ssh-ed25519");
  const key = Buffer.from(Array.from({ length: 32 }, () => Math.floor(random() * 256)));
  const blob = Buffer.alloc(4 + type.length + 4 + 32);
  blob.writeUInt32BE(type.length, 0);
  type.copy(blob, 4);
  blob.writeUInt32BE(32, 4 + type.length);
  key.copy(blob, 8 + type.length);
  return `ssh-ed25519 ${blob.toString("base64")} reliability@example.com`;
}

/** Group `g`: a VPC, its Subnet, an SSH key, a Volume and a VM using all of them. */
export function groupObjects(g: number, random: () => number): KubeObject[] {
  const api = "clouddigit.ai/v1alpha1";
  const octet = (g % 250) + 1;
  const tags = { group: String(g) };
  return [
    {
      apiVersion: api,
      kind: "VPC",
      metadata: { name: `vpc-${g}` },
      spec: { cidr: `10.${octet}.0.0/16`, tags },
    },
    {
      apiVersion: api,
      kind: "Subnet",
      metadata: { name: `subnet-${g}` },
      spec: { vpcRef: { name: `vpc-${g}` }, cidr: `10.${octet}.1.0/24`, zone: "bd-dha-1a", tags },
    },
    {
      apiVersion: api,
      kind: "SSHKey",
      metadata: { name: `key-${g}` },
      spec: { publicKey: ed25519PublicKey(random), tags },
    },
    {
      apiVersion: api,
      kind: "Volume",
      metadata: { name: `vol-${g}` },
      spec: { sizeGiB: 10, type: "nvme", zone: "bd-dha-1a", tags },
    },
    {
      apiVersion: api,
      kind: "VM",
      metadata: { name: `vm-${g}` },
      spec: {
        flavor: "std-2x8",
        image: "ubuntu-24.04",
        subnetRef: { name: `subnet-${g}` },
        sshKeyRefs: [{ name: `key-${g}` }],
        volumeRefs: [{ name: `vol-${g}` }],
        tags,
      },
    },
  ] as KubeObject[];
}

/** The spec change an update applies to a group object: new tags, and a bigger Volume. */
export function updatedObject(obj: KubeObject, revision: number): KubeObject {
  const spec = { ...(obj as ManagedObj).spec };
  spec.tags = { ...(spec.tags as Record<string, string>), revision: String(revision) };
  if (obj.kind === "Volume") spec.sizeGiB = 10 + revision * 10;
  return { ...obj, spec };
}

export async function listManaged(env: ReliabilityEnv): Promise<ManagedObj[]> {
  const out: ManagedObj[] = [];
  for (const kind of MANAGED_KINDS) {
    const list = await env.client.list<ManagedObj>(resourceType(kind), { namespace: env.namespace });
    for (const item of list.items) out.push({ ...item, kind });
  }
  return out;
}

export function isConverged(obj: ManagedObj): boolean {
  const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
  return ready?.status === "True" && obj.status?.observedGeneration === obj.metadata.generation;
}

/** Waits until `expected` objects exist and all are Ready at their generation; returns ms taken. */
export async function waitConverged(
  env: ReliabilityEnv,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  let last = "";
  let pendingNames: string[] = [];
  await waitUntil(
    `${expected} objects converged`,
    async () => {
      const objs = await listManaged(env);
      const pending = objs.filter((o) => !isConverged(o));
      pendingNames = pending.slice(0, 5).map((o) => o.metadata.name ?? "");
      last = pending
        .slice(0, 5)
        .map((o) => `${o.kind}/${o.metadata.name}: ${JSON.stringify(o.status?.conditions ?? [])}`)
        .join("\n");
      return objs.length === expected && pending.length === 0;
    },
    { timeoutMs, intervalMs: 1_000 },
  ).catch((err: unknown) => {
    throw new Error(
      `${String(err)}\nstill pending (first 5):\n${last}\n` +
        `last operator log lines about them:\n${operatorLogAbout(env, pendingNames, 40)}`,
    );
  });
  return Date.now() - started;
}

/** The last `max` lines of the newest operator's log that name one of `names`. */
function operatorLogAbout(env: ReliabilityEnv, names: string[], max: number): string {
  const current = env.operators.at(-1);
  if (!current || names.length === 0) return "(none)";
  const needles = names.map((n) => `"name":${JSON.stringify(n)}`);
  const lines = readFileSync(current.logFile, "utf8")
    .split("\n")
    .filter((l) => needles.some((n) => l.includes(n)));
  return lines.slice(-max).join("\n") || "(none)";
}

export async function deleteAll(env: ReliabilityEnv): Promise<void> {
  const objs = await listManaged(env);
  await inBatches(objs, 8, async (o) => {
    try {
      await env.client.delete(resourceType(o.kind as ManagedKind), env.namespace, o.metadata.name ?? "");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  });
}

/** Waits until no managed object is left in the namespace; returns ms taken. */
export async function waitAllGone(env: ReliabilityEnv, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitUntil("all objects deleted", async () => (await listManaged(env)).length === 0, {
    timeoutMs,
    intervalMs: 1_000,
  });
  return Date.now() - started;
}

export async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

// --- figures -------------------------------------------------------------------------------------

export interface CloudAccounting {
  /** Cloud resources of the project (any state). */
  total: number;
  /** Extra cloud resources carrying an owner UID another resource already carries. */
  duplicates: number;
  /** Owner UIDs with more than one resource, with their IDs. */
  duplicated: Record<string, string[]>;
  /** Resources with no owner tag (the operator always tags; a resource without one is foreign). */
  untagged: number;
}

export function cloudAccounting(sandbox: Sandbox): CloudAccounting {
  const byOwner = new Map<string, string[]>();
  let untagged = 0;
  const resources = sandbox.state.list({ project: PROJECT });
  for (const r of resources) {
    const owner = r.tags[OWNER_TAG];
    if (owner === undefined) {
      untagged += 1;
      continue;
    }
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), r.id]);
  }
  const duplicated: Record<string, string[]> = {};
  let duplicates = 0;
  for (const [owner, ids] of byOwner) {
    if (ids.length > 1) {
      duplicated[owner] = ids;
      duplicates += ids.length - 1;
    }
  }
  return { total: resources.length, duplicates, duplicated, untagged };
}

/** Remembers every cloud resource ever seen with its owner tag (sampled while the run goes). */
export class OwnershipLedger {
  readonly ownerOfId = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sandbox: Sandbox) {}

  sample(): void {
    for (const r of this.sandbox.state.list({ project: PROJECT })) {
      const owner = r.tags[OWNER_TAG];
      if (owner !== undefined) this.ownerOfId.set(r.id, owner);
    }
  }

  start(intervalMs = 100): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  /** Extra resources over the run: for each owner UID, resources beyond the first. */
  duplicates(): { count: number; owners: Record<string, string[]> } {
    const byOwner = new Map<string, string[]>();
    for (const [id, owner] of this.ownerOfId) byOwner.set(owner, [...(byOwner.get(owner) ?? []), id]);
    const owners: Record<string, string[]> = {};
    let count = 0;
    for (const [owner, ids] of byOwner) {
      // A VM's re-creation after out-of-band deletion would be legitimate; no test here deletes
      // out of band, so any second ID for one owner is a duplicate.
      if (ids.length > 1) {
        owners[owner] = ids;
        count += ids.length - 1;
      }
    }
    return { count, owners };
  }
}

export interface RateFigures {
  calls: number;
  /** Most calls in any 1 s window (a bucket of burst 60 at 30/s allows up to 90). */
  peak1s: number;
  /** Most calls in any 10 s window, divided by 10. */
  peak10sPerSecond: number;
  /** 429 answers received by this token (limiter and injected storms). */
  throttled: number;
  /** Calls an ideal token bucket of burst 60 refilling 30/s would not have admitted. */
  overBudget: number;
  budgetHeld: boolean;
}

export const BUDGET = { burst: 60, perSecond: 30 };

export function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Replays the call times through a token bucket; counts calls that found it empty. */
export function callsOverBudget(times: number[], budget = BUDGET): number {
  let tokens = budget.burst;
  let last = times[0] ?? 0;
  let over = 0;
  for (const t of times) {
    tokens = Math.min(budget.burst, tokens + ((t - last) / 1_000) * budget.perSecond);
    last = t;
    if (tokens >= 1) tokens -= 1;
    else over += 1;
  }
  return over;
}

export function rateFigures(calls: CallRecord[], token = TENANT_TOKEN_LABEL): RateFigures {
  const mine = calls.filter((c) => c.token === token);
  const times = mine.map((c) => c.at).sort((a, b) => a - b);
  const overBudget = callsOverBudget(times);
  return {
    calls: mine.length,
    peak1s: maxInWindow(times, 1_000),
    peak10sPerSecond: maxInWindow(times, 10_000) / 10,
    throttled: mine.filter((c) => c.status === 429).length,
    overBudget,
    budgetHeld: overBudget === 0,
  };
}

/** Calls the cloud refused as invalid input (4xx invalid_request / idempotency_mismatch). */
export function invalidCalls(calls: CallRecord[]): CallRecord[] {
  return calls.filter(
    (c) =>
      c.status >= 400 &&
      c.status < 500 &&
      c.status !== 429 &&
      (c.error_code === "invalid_request" || c.error_code === "idempotency_mismatch"),
  );
}

export function recordFigures(suite: string, profile: string, figures: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${profile}-${suite}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ suite, profile, at: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
  console.log(`[reliability] ${suite} (${profile}): ${JSON.stringify(figures)}`);
}

// --- secret hygiene ------------------------------------------------------------------------------

export interface Captured {
  source: string;
  text: string;
}

/** Operator logs, Events and the status of every object of the namespace, as text. */
export async function captureOutputs(env: ReliabilityEnv): Promise<Captured[]> {
  const out: Captured[] = [];
  for (const o of env.operators) out.push({ source: o.logFile, text: readFileSync(o.logFile, "utf8") });
  const eventTypes = [
    { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true },
    { group: "", version: "v1", plural: "events", kind: "Event", namespaced: true },
  ];
  for (const rt of eventTypes) {
    const list = await env.client.list(rt, { namespace: env.namespace });
    out.push({ source: `events (${rt.group || "core"})`, text: JSON.stringify(list.items) });
  }
  for (const kind of [...MANAGED_KINDS, "ProviderConfig" as const]) {
    const list = await env.client.list<ManagedObj>(resourceType(kind), { namespace: env.namespace });
    out.push({
      source: `${kind} status`,
      text: JSON.stringify(list.items.map((i) => ({ name: i.metadata.name, status: i.status }))),
    });
  }
  return out;
}

/** Every place where a secret (or its base64) appears; empty means clean. */
export function findSecrets(captured: Captured[], secrets: string[]): string[] {
  const needles = secrets
    .filter((s) => s.length >= 8)
    .flatMap((s) => [s, Buffer.from(s).toString("base64").replace(/=+$/, "")]);
  const hits: string[] = [];
  for (const c of captured) {
    for (const n of needles) {
      const at = c.text.indexOf(n);
      if (at >= 0) hits.push(`${c.source}: secret found at offset ${at}`);
    }
  }
  return hits;
}

/** Scans, records the figure, and returns the hits (the test asserts none). */
export async function secretScan(
  env: ReliabilityEnv,
): Promise<{ scanned: number; bytes: number; hits: string[] }> {
  const captured = await captureOutputs(env);
  return {
    scanned: captured.length,
    bytes: captured.reduce((n, c) => n + c.text.length, 0),
    hits: findSecrets(captured, env.secrets),
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A new random API token, remembered for the secret scan. */
export function freshToken(env: ReliabilityEnv): string {
  const token = `cd_rel_${randomBytes(18).toString("hex")}`;
  env.secrets.push(token);
  return token;
}

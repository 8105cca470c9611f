// Hostile input: a tenant applies the corpus in hostile-corpus.ts. Each manifest is refused by
// the apiserver or accepted and answered with a clear condition. Meanwhile the operator (its own
// ServiceAccount identity, watching only the tenant's namespace) must not crash, must not touch
// anything in the victim's namespace (checked in the apiserver's audit log), must not send the
// cloud a request it refuses as invalid, and must not leak the victim's secrets anywhere.
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceType } from "../../src/controllers/kube/resources.ts";
import type { ManagedKind } from "../../src/controllers/generic/actuator.ts";
import { ApiError } from "../../src/runtime/kube-client.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { createNamespace, testCluster } from "../support/cluster.ts";
import { waitUntil } from "../support/process.ts";
import { hostileCorpus, type HostileCase, type Victim } from "./hostile-corpus.ts";
import { reliabilityProfile } from "./profile.ts";
import {
  invalidCalls,
  recordFigures,
  secretScan,
  startReliabilityEnv,
  TENANT_TOKEN_LABEL,
  type ManagedObj,
  type ReliabilityEnv,
} from "./support.ts";

const profile = reliabilityProfile();
let env: ReliabilityEnv;
let victim: Victim;
const VICTIM_TOKEN = `cd_victim_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const VICTIM_USERDATA = `#cloud-config\npassword: victim-${Math.random().toString(36).slice(2)}`;

type Outcome =
  { kind: "rejected"; status: number; message: string } | { kind: "accepted"; object: KubeObject };
const outcomes = new Map<string, Outcome>();
/** The operator's final word on each accepted case. */
const verdicts = new Map<string, Awaited<ReturnType<typeof verdict>>>();
let cases: HostileCase[] = [];

async function victimCreate(path: string, body: unknown): Promise<string> {
  const res = await fetch(`${env.sandbox.apiUrl}/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-cd-token": VICTIM_TOKEN,
      "idempotency-key": `victim-${path}`,
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id?: string };
  if (!res.ok || !json.id) throw new Error(`victim setup ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.id;
}

async function setUpVictim(): Promise<Victim> {
  const kc = testCluster().kubeConfig();
  const namespace = await createNamespace(kc, "rel-victim");
  const core = kc.makeApiClient(k8s.CoreV1Api);
  env.sandbox.addToken({ token: VICTIM_TOKEN, projects: ["victim"], name: "victim" });
  env.secrets.push(VICTIM_TOKEN, VICTIM_USERDATA);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: "victim-credentials" }, stringData: { token: VICTIM_TOKEN } },
  });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: "victim-userdata" }, stringData: { userData: VICTIM_USERDATA } },
  });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "victim-sa" } } });
  await env.apply(
    {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: "ProviderConfig",
      metadata: { name: "victim-config" },
      spec: {
        region: "bd-dha-1",
        project: "victim",
        endpoints: { api: env.sandbox.url },
        credentials: {
          source: "APIToken",
          apiToken: { secretRef: { name: "victim-credentials", key: "token" } },
        },
      },
    },
    namespace,
  );
  await env.apply(
    {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: "VPC",
      metadata: { name: "victim-vpc" },
      spec: { cidr: "10.80.0.0/16" },
    },
    namespace,
  );
  const vpcID = await victimCreate("network/vpcs", { name: "victim-vpc", cidr: "10.80.0.0/16" });
  const sshKeyID = await victimCreate("compute/ssh-keys", {
    name: "victim-key",
    public_key:
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0PBHc//VF37fDASoFRyEZwYWF2HUm51ZBsrNKQrc9h victim@example.com",
  });
  const volumeID = await victimCreate("storage/volumes", {
    name: "victim-vol",
    size_gib: 10,
    type: "nvme",
    zone: "bd-dha-1a",
  });
  return { namespace, vpcID, sshKeyID, volumeID };
}

/** Creates the object as `kubectl create` would (strict field validation), or only dry-runs it. */
async function applyCase(c: HostileCase): Promise<Outcome> {
  const rt = resourceType(c.obj.kind as ManagedKind);
  const body = { ...c.obj, metadata: { ...c.obj.metadata, namespace: env.namespace } };
  try {
    const object = await env.client.request<KubeObject>(
      "POST",
      `/apis/${rt.group}/${rt.version}/namespaces/${env.namespace}/${rt.plural}`,
      {
        body,
        query: {
          fieldValidation: "Strict",
          fieldManager: "reliability-hostile",
          dryRun: c.dryRunOnly ? "All" : undefined,
        },
      },
    );
    return { kind: "accepted", object };
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400) {
      return { kind: "rejected", status: err.status, message: err.message.slice(0, 300) };
    }
    throw err;
  }
}

/** Ready/Stalled as the operator reports them, or undefined while it has said nothing. */
async function verdict(
  obj: KubeObject,
): Promise<{ ready: boolean; reason: string; message: string } | undefined> {
  const rt = resourceType(obj.kind as ManagedKind);
  const current = await env.client.get<ManagedObj>(rt, env.namespace, obj.metadata.name ?? "");
  const conditions = current.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === "Ready");
  const stalled = conditions.find((c) => c.type === "Stalled" && c.status === "True");
  if (ready?.status === "True")
    return { ready: true, reason: ready.reason ?? "", message: ready.message ?? "" };
  // A pause says so in Synced (no Ready before any create: kstatus reads a paused object as done).
  const paused = conditions.find((c) => c.type === "Synced" && c.reason === "ReconcilePaused");
  const telling = stalled ?? ready ?? paused;
  if (telling?.status && (telling.message ?? "") !== "" && telling.reason !== "Creating") {
    return { ready: false, reason: telling.reason ?? "", message: telling.message ?? "" };
  }
  return undefined;
}

/** Requests by `user` that name an object in `namespace` (the audit log is at Metadata level). */
function auditedRequests(user: string, namespace: string): string[] {
  const file = testCluster().auditLogPath;
  if (!file) throw new Error("the test apiserver writes no audit log");
  const out: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const e = JSON.parse(line) as {
      stage?: string;
      verb?: string;
      user?: { username?: string };
      objectRef?: { namespace?: string; resource?: string; name?: string };
    };
    if (e.stage !== "ResponseComplete" || e.user?.username !== user) continue;
    if (e.objectRef?.namespace === namespace) {
      out.push(`${e.verb ?? ""} ${e.objectRef.resource ?? ""}/${e.objectRef.name ?? ""}`);
    }
  }
  return out;
}

/** Secrets and ServiceAccounts the operator touched, by namespace (empty name: a list). */
function auditedSecretAccess(user: string): Set<string> {
  const file = testCluster().auditLogPath ?? "";
  const namespaces = new Set<string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const e = JSON.parse(line) as {
      user?: { username?: string };
      objectRef?: { namespace?: string; resource?: string };
    };
    if (e.user?.username !== user) continue;
    if (e.objectRef?.resource === "secrets" || e.objectRef?.resource === "serviceaccounts") {
      namespaces.add(e.objectRef.namespace ?? "<cluster-wide>");
    }
  }
  return namespaces;
}

beforeAll(async () => {
  env = await startReliabilityEnv("rel-hostile", { seed: profile.seed });
  victim = await setUpVictim();
  cases = hostileCorpus(victim, profile.seed);
  await env.startOperator({ logLevel: "debug" });
  // A valid VPC and Subnet for the VM cases to build on.
  await env.apply({
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "VPC",
    metadata: { name: "h-base" },
    spec: { cidr: "10.90.0.0/16" },
  });
  await env.apply({
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "Subnet",
    metadata: { name: "h-base-subnet" },
    spec: { vpcRef: { name: "h-base" }, cidr: "10.90.1.0/24", zone: "bd-dha-1a" },
  });
});

afterAll(async () => {
  await env?.close();
});

describe(`hostile input (${profile.name} profile)`, () => {
  it("has a corpus of at least 50 manifests", () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it("each manifest is refused at admission or reported with a clear condition", async () => {
    for (const c of cases) outcomes.set(c.id, await applyCase(c));
    const accepted = cases.filter((c) => !c.dryRunOnly && outcomes.get(c.id)?.kind === "accepted");
    await waitUntil(
      "a verdict on every accepted manifest",
      async () => {
        for (const c of accepted) verdicts.set(c.id, await verdict(c.obj));
        return accepted.every((c) => verdicts.get(c.id) !== undefined);
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    ).catch((err: unknown) => {
      const silent = accepted.filter((c) => verdicts.get(c.id) === undefined).map((c) => c.id);
      throw new Error(`${String(err)}; no condition yet on: ${silent.join(", ")}`);
    });
    const table = cases.map((c) => {
      const o = outcomes.get(c.id);
      const v = verdicts.get(c.id);
      return {
        id: c.id,
        category: c.category,
        outcome:
          o?.kind === "rejected"
            ? `rejected ${o.status}`
            : c.dryRunOnly
              ? "ADMITTED (dry run)"
              : v?.ready
                ? "Ready"
                : `condition ${v?.reason ?? "?"}`,
        detail: o?.kind === "rejected" ? o.message.slice(0, 160) : (v?.message ?? "").slice(0, 160),
      };
    });
    const byCategory: Record<string, { rejected: number; condition: number; ready: number }> = {};
    for (const row of table) {
      const b = (byCategory[row.category] ??= { rejected: 0, condition: 0, ready: 0 });
      if (row.outcome.startsWith("rejected")) b.rejected += 1;
      else if (row.outcome === "Ready") b.ready += 1;
      else b.condition += 1;
    }
    recordFigures("hostile-input-cases", profile.name, { cases: table, byCategory });
    // Dry-run-only cases must be refused; a Ready verdict only where harmless.
    for (const c of cases) {
      const o = outcomes.get(c.id);
      if (c.dryRunOnly) expect(o?.kind, c.id).toBe("rejected");
      if (verdicts.get(c.id)?.ready) expect(c.mayBeReady, `${c.id} became Ready`).toBe(true);
    }
  });

  it("the operator stayed up, stayed in its namespace and leaked nothing", async () => {
    const operator = env.operators[0];
    const alive = operator?.process.child.exitCode === null && operator.process.child.signalCode === null;
    const crossNamespace = auditedRequests(env.operatorUser, victim.namespace);
    const secretNamespaces = [...auditedSecretAccess(env.operatorUser)];
    const calls = env.sandbox.calls({ token: TENANT_TOKEN_LABEL });
    const invalid = invalidCalls(calls);
    const scan = await secretScan(env);
    const victimCloud = env.sandbox.state.list({ project: "victim" });
    recordFigures("hostile-input", profile.name, {
      seed: profile.seed,
      cases: cases.length,
      rejected: [...outcomes.values()].filter((o) => o.kind === "rejected").length,
      accepted: [...outcomes.values()].filter((o) => o.kind === "accepted").length,
      operatorAlive: alive,
      operatorRequestsInVictimNamespace: crossNamespace.length,
      namespacesOfSecretOrServiceAccountAccess: secretNamespaces,
      tenantCloudCalls: calls.length,
      invalidCloudCalls: invalid.map((c) => `${c.method} ${c.template} ${c.status} ${c.error_code ?? ""}`),
      victimCloudResourcesIntact: victimCloud.length,
      secretScan: { sources: scan.scanned, bytes: scan.bytes, hits: scan.hits.length },
    });
    expect(alive).toBe(true);
    expect(crossNamespace).toEqual([]);
    expect(secretNamespaces.every((ns) => ns === env.namespace)).toBe(true);
    expect(victimCloud).toHaveLength(3);
    expect(scan.hits).toEqual([]);
  });

  it("never sent the cloud a request it refuses as invalid", () => {
    const invalid = invalidCalls(env.sandbox.calls({ token: TENANT_TOKEN_LABEL }));
    // The cases whose condition quotes the cloud refusing the request, to say which inputs got through.
    const refusedByCloud = cases
      .filter((c) => /invalid_request/.test(verdicts.get(c.id)?.message ?? ""))
      .map((c) => c.id);
    expect({
      calls: invalid.map((c) => `${c.method} ${c.template} ${c.status} ${c.error_code ?? ""}`),
      cases: refusedByCloud,
    }).toEqual({ calls: [], cases: [] });
  });
});

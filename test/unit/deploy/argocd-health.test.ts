// The Argo CD health check (config/gitops/argocd-health.lua) run by a real Lua 5.4 interpreter
// (wasmoon), the way Argo CD runs it: the object as the global `obj`, the script's return value
// as the health status.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LuaFactory, type LuaEngine } from "wasmoon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conditionsFor, Reason, type Outcome } from "../../../src/controllers/generic/outcome.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const script = readFileSync(path.join(root, "config/gitops/argocd-health.lua"), "utf8");

/** A JSON value as a Lua literal (Argo CD hands the script the object as nested tables). */
function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(", ")}}`;
  const fields = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `[${JSON.stringify(k)}] = ${luaLiteral(v)}`,
  );
  return `{${fields.join(", ")}}`;
}

let lua: LuaEngine;
beforeAll(async () => {
  lua = await new LuaFactory().createEngine();
});
afterAll(() => {
  lua?.global.close();
});

async function health(obj: unknown): Promise<{ status: string; message: string }> {
  // Each run in a fresh function scope, so no state leaks between cases.
  const result = (await lua.doString(
    `local obj = ${luaLiteral(obj)}\nlocal check = load(${JSON.stringify(script)}, "health.lua", "t", setmetatable({ obj = obj }, { __index = _G }))\nlocal hs = check()\nreturn hs.status .. "\\n" .. (hs.message or "")`,
  )) as string;
  const [status = "", ...message] = result.split("\n");
  return { status, message: message.join("\n") };
}

type Cond = [type: string, status: string, reason: string, message?: string];
function vpc(opts: {
  conditions?: Cond[];
  generation?: number;
  observedGeneration?: number;
  deleting?: boolean;
  annotations?: Record<string, string>;
  kind?: string;
}): unknown {
  const generation = opts.generation ?? 1;
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: opts.kind ?? "VPC",
    metadata: {
      name: "web",
      namespace: "team-a",
      generation,
      ...(opts.deleting ? { deletionTimestamp: "2026-11-26T17:00:00Z" } : {}),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: { cidr: "10.20.0.0/16" },
    ...(opts.conditions
      ? {
          status: {
            observedGeneration: opts.observedGeneration ?? generation,
            conditions: opts.conditions.map(([type, status, reason, message]) => ({
              type,
              status,
              reason,
              message: message ?? "",
              lastTransitionTime: "2026-11-26T17:00:00Z",
              observedGeneration: opts.observedGeneration ?? generation,
            })),
          },
        }
      : {}),
  };
}

const READY: Cond[] = [
  ["Ready", "True", "Available", "vpc_01J9 is active"],
  ["Synced", "True", "ReconcileSuccess"],
  ["Reconciling", "False", "Available"],
  ["Stalled", "False", "Available"],
];

describe("Argo CD health check for clouddigit.ai kinds", () => {
  it("Ready=True for the current generation is Healthy, with the Ready message", async () => {
    expect(await health(vpc({ conditions: READY }))).toEqual({
      status: "Healthy",
      message: "vpc_01J9 is active",
    });
  });

  it("a cloud resource being created is Progressing with the reason and message", async () => {
    const h = await health(
      vpc({
        conditions: [
          ["Ready", "False", "Creating", "the cloud is creating vpc_01J9 (state creating)"],
          ["Synced", "True", "ReconcileSuccess"],
          ["Reconciling", "True", "Creating", "the cloud is creating vpc_01J9"],
          ["Stalled", "False", "Creating"],
        ],
      }),
    );
    expect(h).toEqual({
      status: "Progressing",
      message: "Creating: the cloud is creating vpc_01J9 (state creating)",
    });
  });

  it("waiting on a dependency is Progressing, not Degraded: it heals by itself", async () => {
    const h = await health(
      vpc({
        kind: "Subnet",
        conditions: [
          ["Ready", "False", "DependencyNotReady", 'VPC "web" is not Ready yet'],
          ["Synced", "True", "ReconcileSuccess"],
          ["Reconciling", "True", "DependencyNotReady", 'VPC "web" is not Ready yet'],
          ["Stalled", "False", "DependencyNotReady"],
        ],
      }),
    );
    expect(h.status).toBe("Progressing");
    expect(h.message).toBe('DependencyNotReady: VPC "web" is not Ready yet');
  });

  it("a spec edit the operator has not observed yet is Progressing even while Ready=True", async () => {
    const h = await health(vpc({ conditions: READY, generation: 3, observedGeneration: 2 }));
    expect(h).toEqual({ status: "Progressing", message: "Waiting for the operator to observe generation 3" });
  });

  it("Stalled=True is Degraded with what the user must fix", async () => {
    const h = await health(
      vpc({
        conditions: [
          ["Ready", "False", "QuotaExceeded", "project demo may have at most 5 VPCs in bd-dha-1"],
          ["Synced", "False", "QuotaExceeded", "project demo may have at most 5 VPCs in bd-dha-1"],
          ["Reconciling", "False", "QuotaExceeded"],
          ["Stalled", "True", "QuotaExceeded", "project demo may have at most 5 VPCs in bd-dha-1"],
        ],
      }),
    );
    expect(h).toEqual({
      status: "Degraded",
      message: "QuotaExceeded: project demo may have at most 5 VPCs in bd-dha-1",
    });
  });

  it("a transient error keeps the last Ready and stays Healthy (retrying, not failed)", async () => {
    const h = await health(
      vpc({
        conditions: [
          ["Ready", "True", "Available", "vpc_01J9 is active"],
          ["Synced", "False", "Throttled", "rate limited; retrying in 2 s"],
          ["Reconciling", "True", "Throttled", "retrying: rate limited"],
          ["Stalled", "False", "Throttled"],
        ],
      }),
    );
    expect(h.status).toBe("Healthy");
  });

  it("an object being deleted is Progressing, naming what it waits for", async () => {
    expect(await health(vpc({ conditions: READY, deleting: true }))).toEqual({
      status: "Progressing",
      message: "Deleting",
    });
    const blocked = await health(
      vpc({
        deleting: true,
        conditions: [
          ["Ready", "False", "DeletionBlocked", 'Subnet "web-a" still uses this VPC'],
          ["Synced", "True", "ReconcileSuccess"],
          ["Reconciling", "True", "DeletionBlocked", 'Subnet "web-a" still uses this VPC'],
          ["Stalled", "False", "DeletionBlocked"],
        ],
      }),
    );
    expect(blocked).toEqual({
      status: "Progressing",
      message: 'Deleting: DeletionBlocked: Subnet "web-a" still uses this VPC',
    });
  });

  it("a deletion the cloud refuses for good is Degraded", async () => {
    const h = await health(
      vpc({
        deleting: true,
        conditions: [
          ["Ready", "False", "Forbidden", "the token may not delete vpc_01J9"],
          ["Synced", "False", "Forbidden", "the token may not delete vpc_01J9"],
          ["Reconciling", "False", "Forbidden"],
          ["Stalled", "True", "Forbidden", "the token may not delete vpc_01J9"],
        ],
      }),
    );
    expect(h).toEqual({
      status: "Degraded",
      message: "Deletion stalled: Forbidden: the token may not delete vpc_01J9",
    });
  });

  it("an object without status yet is Progressing", async () => {
    expect(await health(vpc({}))).toEqual({
      status: "Progressing",
      message: "Waiting for the operator to report status",
    });
  });

  it("the paused annotation is Suspended", async () => {
    const h = await health(vpc({ conditions: READY, annotations: { "clouddigit.ai/paused": "true" } }));
    expect(h.status).toBe("Suspended");
  });

  it("reads the operator's own conditions (conditionsFor) for every reconcile outcome", async () => {
    const outcomes: Array<[Exclude<Outcome, { kind: "gone" }>, string]> = [
      [{ kind: "done", message: "vpc_01 is active", resyncAfterMs: 600_000 }, "Healthy"],
      [
        { kind: "waiting", reason: Reason.DependencyNotReady, message: "VPC web", recheckAfterMs: 30_000 },
        "Progressing",
      ],
      [{ kind: "polling", reason: Reason.Creating, message: "creating", afterMs: 1_000 }, "Progressing"],
      [{ kind: "retry", reason: Reason.TransientError, message: "503" }, "Progressing"],
      [
        { kind: "stalled", reason: Reason.InvalidSpec, message: "bad cidr", retryAfterMs: 600_000 },
        "Degraded",
      ],
    ];
    for (const [outcome, want] of outcomes) {
      const conditions = conditionsFor(outcome, undefined, 1, "2026-11-26T17:00:00Z");
      const obj = {
        apiVersion: "clouddigit.ai/v1alpha1",
        kind: "VPC",
        metadata: { name: "web", generation: 1 },
        status: { observedGeneration: 1, conditions },
      };
      expect((await health(obj)).status, outcome.kind).toBe(want);
    }
  });

  it("provider configurations without conditions are Healthy", async () => {
    expect((await health(vpc({ kind: "ProviderConfig" }))).status).toBe("Healthy");
    expect((await health(vpc({ kind: "ClusterProviderConfig" }))).status).toBe("Healthy");
  });
});

// What Flux (kstatus, sigs.k8s.io/cli-utils, built by scripts/kstatus-bin) reports for the
// operator's objects: the conditions come from the operator's own conditionsFor() for each reconcile
// outcome, so this checks the real status shapes, not hand-written ones.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Condition } from "../../../src/runtime/conditions.ts";
import { conditionsFor, Reason, type Outcome } from "../../../src/controllers/generic/outcome.ts";
import { ROOT } from "./support.ts";

let kstatus: string;

beforeAll(() => {
  kstatus = execFileSync(path.join(ROOT, "scripts/kstatus-bin"), {
    encoding: "utf8",
    timeout: 600_000,
  }).trim();
});

const NOW = "2026-11-26T17:00:00Z";

function vpc(
  conditions: Condition[],
  opts: { generation?: number; observed?: number; deleting?: boolean } = {},
) {
  const generation = opts.generation ?? 2;
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "VPC",
    metadata: {
      name: "web",
      namespace: "team-a",
      generation,
      ...(opts.deleting ? { deletionTimestamp: NOW, finalizers: ["clouddigit.ai/cleanup"] } : {}),
    },
    spec: { cidr: "10.20.0.0/16" },
    status: { observedGeneration: opts.observed ?? generation, conditions },
  };
}

function flux(objects: unknown[]): Array<{ status: string; message: string }> {
  const out = execFileSync(kstatus, { input: JSON.stringify(objects), encoding: "utf8" });
  return out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { status: string; message: string });
}

const ready = conditionsFor(
  { kind: "done", message: "vpc_01 is active", resyncAfterMs: 600_000 },
  undefined,
  2,
  NOW,
);
const outcomes: Array<[string, Exclude<Outcome, { kind: "gone" }>, string]> = [
  ["done", { kind: "done", message: "vpc_01 is active", resyncAfterMs: 600_000 }, "Current"],
  [
    "waiting on a dependency",
    {
      kind: "waiting",
      reason: Reason.DependencyNotReady,
      message: 'VPC "web" is not Ready',
      recheckAfterMs: 30_000,
    },
    "InProgress",
  ],
  [
    "polling the cloud",
    { kind: "polling", reason: Reason.Creating, message: "creating", afterMs: 1_000 },
    "InProgress",
  ],
  [
    "retrying a transient error",
    { kind: "retry", reason: Reason.Throttled, message: "rate limited" },
    "InProgress",
  ],
  [
    "stalled",
    { kind: "stalled", reason: Reason.QuotaExceeded, message: "at most 5 VPCs", retryAfterMs: 600_000 },
    "Failed",
  ],
];

describe("Flux kstatus on the operator's conditions", () => {
  it("reads each reconcile outcome as Current, InProgress or Failed", () => {
    const objects = outcomes.map(([, outcome]) => vpc(conditionsFor(outcome, undefined, 2, NOW)));
    const results = flux(objects);
    expect(results.map((r, i) => `${outcomes[i]?.[0]}: ${r.status}`)).toEqual(
      outcomes.map(([name, , want]) => `${name}: ${want}`),
    );
    expect(results[4]?.message).toContain("at most 5 VPCs");
  });

  it("a retry after Ready stays InProgress (not Failed), and a spec edit not yet observed is InProgress", () => {
    const retrying = conditionsFor(
      { kind: "retry", reason: Reason.TransientError, message: "503" },
      ready,
      2,
      NOW,
    );
    const [afterReady, unobserved] = flux([vpc(retrying), vpc(ready, { generation: 3, observed: 2 })]);
    expect(afterReady?.status).toBe("InProgress");
    expect(unobserved?.status).toBe("InProgress");
  });

  it("an object being deleted is Terminating", () => {
    expect(flux([vpc(ready, { deleting: true })])[0]?.status).toBe("Terminating");
  });
});

// The object states of docs/gitops.md and the verdicts tool that reads them (scripts/verdicts-bin:
// kstatus, Argo CD's health assessment with config/gitops/argocd-cm-health.yaml, Flux's
// healthCheckExprs evaluator with config/gitops/flux-healthcheckexprs.yaml).
// Conditions come from the operator's own conditionsFor() wherever it writes the state. The states
// marked HAND-BUILT are the provider configuration's conditions, written as
// src/controllers/provider/status.ts writes them (Ready, DeletionsStalled).
import { execFileSync } from "node:child_process";
import path from "node:path";
import type { Condition } from "../../../src/runtime/conditions.ts";
import { conditionsFor, Reason, type Outcome } from "../../../src/controllers/generic/outcome.ts";
import { FINALIZER } from "../../../src/controllers/generic/finalizer.ts";
import { PAUSED_ANNOTATION } from "../../../src/crds/common.ts";
import { ROOT } from "./support.ts";

export interface Verdict {
  status: string;
  message: string;
}
export interface Verdicts {
  kstatus: Verdict;
  argocd: Verdict | null;
  argocdScript: Verdict | null;
  flux: (Verdict & { error?: string; by: string }) | null;
}

export const ARGOCD_CM = path.join(ROOT, "config/gitops/argocd-cm-health.yaml");
export const FLUX_EXPRS = path.join(ROOT, "config/gitops/flux-healthcheckexprs.yaml");

let bin: string | undefined;
export function verdictsBin(timeoutMs = 900_000): string {
  bin ??= execFileSync(path.join(ROOT, "scripts/verdicts-bin"), {
    encoding: "utf8",
    timeout: timeoutMs,
  }).trim();
  return bin;
}

export function verdicts(objects: unknown[], args = ["--argocd-cm", ARGOCD_CM, "--flux-exprs", FLUX_EXPRS]) {
  const out = execFileSync(verdictsBin(), args, { input: JSON.stringify(objects), encoding: "utf8" });
  return out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Verdicts);
}

const NOW = "2026-11-26T17:00:00Z";
const HOUR_BEFORE = "2026-11-26T16:00:00Z";
/** 3 resyncs of the default 10 min. */
const STALE_AFTER_MS = 30 * 60_000;
const GENERATION = 2;

type Live = Exclude<Outcome, { kind: "gone" }>;
export const conditions = (outcome: Live, previous?: Condition[]) =>
  conditionsFor(outcome, previous, GENERATION, NOW);

export function object(opts: {
  kind?: string;
  conditions?: Condition[];
  status?: Record<string, unknown> | null;
  generation?: number;
  observed?: number;
  deleting?: boolean;
  annotations?: Record<string, string>;
}) {
  const generation = opts.generation ?? GENERATION;
  const kind = opts.kind ?? "VPC";
  const namespaced = kind !== "ClusterProviderConfig";
  const status =
    opts.status === null
      ? undefined
      : (opts.status ?? {
          observedGeneration: opts.observed ?? generation,
          conditions: opts.conditions ?? [],
        });
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind,
    metadata: {
      name: "web",
      ...(namespaced ? { namespace: "team-a" } : {}),
      generation,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.deleting ? { deletionTimestamp: NOW, finalizers: [FINALIZER] } : {}),
    },
    spec: {},
    ...(status ? { status } : {}),
  };
}

/** A condition written by hand (HAND-BUILT states only). */
export const cond = (type: string, status: Condition["status"], reason: string, message = ""): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: NOW,
  observedGeneration: GENERATION,
});

export const READY = conditions({ kind: "done", message: "vpc_01 is active", resyncAfterMs: 600_000 });
const STALLED = conditions({
  kind: "stalled",
  reason: Reason.QuotaExceeded,
  message: "project demo may have at most 5 VPCs",
  retryAfterMs: 600_000,
});
const PAUSE_MESSAGE =
  'reconciliation is paused by the annotation clouddigit.ai/paused: "true"; remove it to resume';
/** What the operator writes on a paused object, given what it wrote before. */
export const paused = (previous?: Condition[]) => conditions({ kind: "paused" }, previous);
/** A Ready=False on a pause before any create, as the operator wrote it before issue 16 (hand-built). */
export const NEVER_CREATED_PAUSED = cond("Ready", "False", "ReconcilePaused", PAUSE_MESSAGE);
export const PAUSED = { [PAUSED_ANNOTATION]: "true" };
const STALLED_DELETIONS =
  "2 objects cannot finish deleting: team-a/VPC/web: Forbidden: the token may not delete vpc_01; team-a/Subnet/web-a: DeletionBlocked";
/** HAND-BUILT after src/controllers/provider/status.ts, with the DeletionsStalled condition of issue 16. */
export const providerConfig = (ready: Condition, deletionsStalled?: boolean) => [
  ready,
  deletionsStalled
    ? cond("DeletionsStalled", "True", "DeletionStalled", STALLED_DELETIONS)
    : cond("DeletionsStalled", "False", "NoStalledDeletions"),
];
export const CREDENTIALS_VALID = cond(
  "Ready",
  "True",
  "CredentialsValid",
  "the API accepted the credentials",
);

export interface State {
  /** The row of docs/gitops.md. */
  name: string;
  writes: string;
  object: unknown;
  /** Measured verdicts: kstatus, Argo CD, Flux with the healthCheckExprs. */
  want: [kstatus: string, argocd: string, flux: string];
  handBuilt?: true;
}

export const STATES: State[] = [
  {
    name: "new object, no status at all",
    writes: "nothing (operator down or not installed, CRDs without the status default)",
    object: object({ status: null }),
    want: ["Current", "Progressing", "Unknown"],
  },
  {
    name: "new object, status served by the CRD default",
    writes: "nothing yet; the apiserver serves `status: {observedGeneration: 0}`",
    object: object({ status: { observedGeneration: 0 } }),
    want: ["InProgress", "Progressing", "InProgress"],
  },
  {
    name: "creating",
    writes: "`Ready=False`, `Reconciling=True` (Creating)",
    object: object({
      conditions: conditions({
        kind: "polling",
        reason: Reason.Creating,
        message: "creating",
        afterMs: 1_000,
      }),
    }),
    want: ["InProgress", "Progressing", "InProgress"],
  },
  {
    name: "waiting on a dependency",
    writes: "`Ready=False`, `Reconciling=True` (DependencyNotReady)",
    object: object({
      conditions: conditions({
        kind: "waiting",
        reason: Reason.DependencyNotReady,
        message: 'VPC "web" is not Ready',
        recheckAfterMs: 30_000,
      }),
    }),
    want: ["InProgress", "Progressing", "InProgress"],
  },
  {
    name: "Ready",
    writes: "`Ready=True`, `observedGeneration` = `generation`",
    object: object({ conditions: READY }),
    want: ["Current", "Healthy", "Current"],
  },
  {
    name: "transient error, Ready before",
    writes: "last `Ready=True` kept, `Synced=False`, `Reconciling=True` (retrying)",
    object: object({
      conditions: conditions({ kind: "retry", reason: Reason.TransientError, message: "503" }, READY),
    }),
    want: ["InProgress", "Healthy", "InProgress"],
  },
  {
    name: "failing for 3 resyncs, Ready before",
    writes:
      "`Ready=Unknown` (no successful reconcile for 1h, state unknown), `Synced=False`, `Reconciling=True`",
    object: object({
      conditions: conditionsFor(
        { kind: "retry", reason: Reason.TransientError, message: "503" },
        conditionsFor(
          { kind: "retry", reason: Reason.TransientError, message: "503" },
          READY,
          GENERATION,
          HOUR_BEFORE,
        ),
        GENERATION,
        NOW,
        STALE_AFTER_MS,
      ),
    }),
    want: ["InProgress", "Progressing", "InProgress"],
  },
  {
    name: "transient error, never Ready",
    writes: "`Ready=Unknown`, `Reconciling=True` (retrying)",
    object: object({
      conditions: conditions({ kind: "retry", reason: Reason.Throttled, message: "rate limited" }),
    }),
    want: ["InProgress", "Progressing", "InProgress"],
  },
  {
    name: "Stalled",
    writes: "`Stalled=True` (bad spec, quota, budget, permission: needs you)",
    object: object({ conditions: STALLED }),
    want: ["Failed", "Degraded", "Failed"],
  },
  {
    name: "generation behind",
    writes: "`observedGeneration` < `generation` (a spec edit not yet seen)",
    object: object({ conditions: READY, generation: 3, observed: 2 }),
    want: ["InProgress", "Progressing", "InProgress"],
  },
  {
    name: "paused before the first create",
    writes:
      '`clouddigit.ai/paused: "true"`; no `Ready`, `Synced=False` (ReconcilePaused), generation observed',
    object: object({ annotations: PAUSED, conditions: paused() }),
    want: ["Current", "Suspended", "Current"],
  },
  {
    name: "paused after Ready",
    writes: "the same; last `Ready=True` kept, `Synced=False` (ReconcilePaused)",
    object: object({ annotations: PAUSED, conditions: paused(READY) }),
    want: ["Current", "Suspended", "Current"],
  },
  {
    name: "deleting",
    writes: "`deletionTimestamp` set, the operator's finalizer still on",
    object: object({ conditions: READY, deleting: true }),
    want: ["Terminating", "Progressing", "InProgress"],
  },
  {
    name: "deletion blocked",
    writes: "deleting, `Ready=False`, `Reconciling=True` (DeletionBlocked: a Subnet still uses the VPC)",
    object: object({
      deleting: true,
      conditions: conditions({
        kind: "waiting",
        reason: Reason.DeletionBlocked,
        message: 'Subnet "web-a" still uses this VPC',
        recheckAfterMs: 30_000,
      }),
    }),
    want: ["Terminating", "Progressing", "InProgress"],
  },
  {
    name: "deletion stalled",
    writes: "deleting, `Stalled=True` (the cloud refuses the delete for good)",
    object: object({
      deleting: true,
      conditions: conditions({
        kind: "stalled",
        reason: Reason.Forbidden,
        message: "the token may not delete vpc_01",
        retryAfterMs: 600_000,
      }),
    }),
    want: ["Terminating", "Progressing", "Failed"],
  },
  {
    name: "ProviderConfig of a stalled deletion",
    writes: "`DeletionsStalled=True` on the (Cluster)ProviderConfig the stalled objects use",
    object: object({ kind: "ProviderConfig", conditions: providerConfig(CREDENTIALS_VALID, true) }),
    want: ["Current", "Degraded", "Failed"],
    handBuilt: true,
  },
  {
    name: "ProviderConfig Ready",
    writes: "`Ready=True` (the API accepted the credentials), `DeletionsStalled=False`",
    object: object({ kind: "ProviderConfig", conditions: providerConfig(CREDENTIALS_VALID) }),
    want: ["Current", "Healthy", "Current"],
    handBuilt: true,
  },
  {
    name: "ProviderConfig not Ready",
    writes: "`Ready=False` (Unauthenticated, Forbidden, EndpointUnreachable, ...)",
    object: object({
      kind: "ProviderConfig",
      conditions: providerConfig(cond("Ready", "False", "Unauthenticated", "the API refused the token")),
    }),
    want: ["InProgress", "Progressing", "InProgress"],
    handBuilt: true,
  },
];

const cell = (text: string) => text.replace(/\|/g, "\\|");
const short = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);

/** The docs/gitops.md table from measured verdicts (Argo CD with its message). */
export function verdictTable(measured: Verdicts[]): string {
  const rows = STATES.map((s, i) => {
    const v = measured[i];
    if (!v) throw new Error(`no verdict for ${s.name}`);
    const argo = v.argocd
      ? `${v.argocd.status}${v.argocd.message ? `: ${short(v.argocd.message)}` : ""}`
      : "(none)";
    const flux = v.flux
      ? `${v.flux.status}${v.flux.error ? " (the expressions cannot be evaluated)" : ""}`
      : "(none)";
    return `| ${cell(s.name)} | ${cell(s.writes)} | ${v.kstatus.status} | ${cell(argo)} | ${flux} |`;
  });
  return [
    "| state | the operator writes | kstatus | Argo CD (with the health check) | Flux with `healthCheckExprs` |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

// What kstatus, Argo CD and Flux say about the operator's objects, computed by their own code
// (scripts/verdicts-bin: sigs.k8s.io/cli-utils kstatus; Argo CD's health assessment, gitops-engine's
// order of checks and util/lua's restricted gopher-lua VM, with config/gitops/argocd-cm-health.yaml;
// Flux's healthCheckExprs evaluator from github.com/fluxcd/pkg/runtime/cel with
// config/gitops/flux-healthcheckexprs.yaml), for every state of docs/gitops.md; the doc's table is
// checked against these measurements (CLOUDDIGIT_WRITE_DOCS=1 rewrites it).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as prettier from "prettier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { allKinds } from "../../../src/crds/index.ts";
import { PAUSED_ANNOTATION } from "../../../src/crds/common.ts";
import { ROOT } from "./support.ts";
import {
  CREDENTIALS_VALID,
  NEVER_CREATED_PAUSED,
  READY,
  STATES,
  conditions,
  object,
  paused,
  providerConfig,
  verdictTable,
  verdicts,
  verdictsBin,
  type Verdicts,
} from "./gitops-verdicts.ts";
import { Reason } from "../../../src/controllers/generic/outcome.ts";

const DOC = path.join(ROOT, "docs/gitops.md");
const BEGIN = "<!-- verdicts:begin (measured by test/integration/deploy/gitops-verdicts.test.ts) -->";
const END = "<!-- verdicts:end -->";

// A first build on a machine with empty Go caches takes about 5 minutes (2 cores); then it is cached.
const BUILD_TIMEOUT_MS = 900_000;

let measured: Verdicts[];
let tmp: string;
beforeAll(() => {
  verdictsBin(BUILD_TIMEOUT_MS);
  measured = verdicts(STATES.map((s) => s.object));
  tmp = mkdtempSync(path.join(os.tmpdir(), "verdicts-"));
}, BUILD_TIMEOUT_MS);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const statuses = (v: Verdicts | undefined) => [v?.kstatus.status, v?.argocd?.status, v?.flux?.status];
const verdictsOf = (obj: unknown) => statuses(verdicts([obj])[0]);

describe("GitOps verdicts for every state of docs/gitops.md", () => {
  it.each(STATES.map((s, i) => [s.name + (s.handBuilt ? " (hand-built shape)" : ""), i] as const))(
    "%s: kstatus, Argo CD, Flux",
    (_, i) => {
      expect(statuses(measured[i])).toEqual(STATES[i]?.want);
    },
  );

  it("docs/gitops.md shows the measured table", async () => {
    const text = readFileSync(DOC, "utf8");
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    expect(start, "the verdict table markers in docs/gitops.md").toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const options = (await prettier.resolveConfig(DOC)) ?? {};
    const table = (await prettier.format(verdictTable(measured), { ...options, parser: "markdown" })).trim();
    const written = text.slice(start + BEGIN.length, end).trim();
    if (process.env.CLOUDDIGIT_WRITE_DOCS === "1" && written !== table) {
      writeFileSync(DOC, `${text.slice(0, start + BEGIN.length)}\n\n${table}\n\n${text.slice(end)}`);
      return;
    }
    expect(written).toBe(table);
  });
});

describe("what each tool tells the user", () => {
  const at = (name: string) => measured[STATES.findIndex((s) => s.name === name)];

  it("a stalled object carries its reason and message in kstatus and Argo CD", () => {
    expect(at("Stalled")?.kstatus.message).toBe("project demo may have at most 5 VPCs");
    expect(at("Stalled")?.argocd?.message).toBe("QuotaExceeded: project demo may have at most 5 VPCs");
    expect(at("creating")?.argocd?.message).toBe("Creating: creating");
    expect(at("waiting on a dependency")?.argocd?.message).toBe('DependencyNotReady: VPC "web" is not Ready');
  });

  it("Argo CD answers Pending deletion before the script runs; the script alone names the blocker", () => {
    for (const name of ["deleting", "deletion blocked", "deletion stalled"]) {
      expect(at(name)?.argocd, name).toEqual({ status: "Progressing", message: "Pending deletion" });
    }
    expect(at("deletion blocked")?.argocdScript).toEqual({
      status: "Progressing",
      message: 'Deleting: DeletionBlocked: Subnet "web-a" still uses this VPC',
    });
  });

  it("a stalled deletion shows in Argo CD on the ProviderConfig, with the objects and reasons", () => {
    expect(at("ProviderConfig of a stalled deletion")?.argocd).toEqual({
      status: "Degraded",
      message:
        "2 objects cannot finish deleting: team-a/VPC/web: Forbidden: the token may not delete vpc_01; team-a/Subnet/web-a: DeletionBlocked",
    });
    const cluster = verdicts([
      object({ kind: "ClusterProviderConfig", conditions: providerConfig(CREDENTIALS_VALID, true) }),
    ])[0];
    expect(statuses(cluster)).toEqual(["Current", "Degraded", "Failed"]);
  });

  it("a provider configuration being deleted is Pending deletion / InProgress, or Failed with stalled deletions", () => {
    expect(
      verdictsOf(
        object({ kind: "ProviderConfig", deleting: true, conditions: providerConfig(CREDENTIALS_VALID) }),
      ),
    ).toEqual(["Terminating", "Progressing", "InProgress"]);
    expect(
      verdictsOf(
        object({
          kind: "ProviderConfig",
          deleting: true,
          conditions: providerConfig(CREDENTIALS_VALID, true),
        }),
      ),
    ).toEqual(["Terminating", "Progressing", "Failed"]);
  });

  it("Flux cannot evaluate the expressions on an object without status: Unknown with the error, not ready", () => {
    const flux = at("new object, no status at all")?.flux;
    expect(flux?.by).toBe("healthCheckExprs");
    expect(flux?.error).toContain("no such attribute");
    expect(at("new object, no status at all")?.argocd?.message).toBe(
      "Waiting for the operator to report status",
    );
  });
});

describe("the paused annotation", () => {
  const pausedAfterReady = (value: string) =>
    object({ annotations: { [PAUSED_ANNOTATION]: value }, conditions: paused(READY) });

  it.each(["true", "TRUE", "True", "tRuE"])(
    "%s is paused in Argo CD and Flux, in any letter case",
    (value) => {
      expect(verdictsOf(pausedAfterReady(value))).toEqual(["Current", "Suspended", "Current"]);
      expect(
        verdictsOf(object({ annotations: { [PAUSED_ANNOTATION]: value }, conditions: paused() })),
      ).toEqual(["Current", "Suspended", "Current"]);
    },
  );

  it.each(["false", "FALSE", "False", ""])("%j is not paused", (value) => {
    expect(verdictsOf(object({ annotations: { [PAUSED_ANNOTATION]: value }, conditions: READY }))).toEqual([
      "Current",
      "Healthy",
      "Current",
    ]);
  });

  it("a value the script cannot read without a string library counts once the operator reports the pause", () => {
    for (const value of [" true", "yes"]) {
      expect(verdictsOf(pausedAfterReady(value)), value).toEqual(["Current", "Suspended", "Current"]);
      // Before the operator has seen it: Flux reads it as the operator will (trimmed, not "false").
      expect(
        verdictsOf(object({ annotations: { [PAUSED_ANNOTATION]: value }, conditions: READY })),
        value,
      ).toEqual(["Current", "Healthy", "Current"]);
    }
  });

  it("a pause the operator has not written yet: Argo CD Suspended, kstatus and Flux wait for the operator", () => {
    expect(
      verdictsOf(object({ annotations: { [PAUSED_ANNOTATION]: "true" }, status: { observedGeneration: 0 } })),
    ).toEqual(["InProgress", "Suspended", "InProgress"]);
  });

  it("kstatus reads Current for a pause before the first create only without a Ready=False condition", () => {
    // Ready=False is InProgress for kstatus whatever the reason (checkReadyCondition), which is
    // why the operator writes no Ready on a pause before any Ready.
    const withReadyFalse = [NEVER_CREATED_PAUSED, ...paused()];
    expect(
      verdictsOf(object({ annotations: { [PAUSED_ANNOTATION]: "true" }, conditions: withReadyFalse })),
    ).toEqual(["InProgress", "Suspended", "Current"]);
    expect(paused().map((c) => c.type)).not.toContain("Ready");
    expect(
      verdictsOf(object({ annotations: { [PAUSED_ANNOTATION]: "true" }, conditions: paused() })),
    ).toEqual(["Current", "Suspended", "Current"]);
  });
});

describe("the verdicts tool runs Argo CD's and Flux's rules, not ours", () => {
  it("every clouddigit.ai kind has a health script and expressions; other kinds fall back as in the tools", () => {
    const ready = [...allKinds].map((def) =>
      object({
        kind: def.kind,
        conditions: ["ProviderConfig", "ClusterProviderConfig"].includes(def.kind)
          ? providerConfig(CREDENTIALS_VALID)
          : READY,
      }),
    );
    for (const [i, v] of verdicts(ready).entries()) {
      expect([v.argocd?.status, v.flux?.status, v.flux?.by], allKinds[i]?.kind).toEqual([
        "Healthy",
        "Current",
        "healthCheckExprs",
      ]);
    }
    const configMap = verdicts([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }])[0];
    expect(configMap?.argocd).toBeNull();
    expect(configMap?.flux).toMatchObject({ status: "Current", by: "kstatus" });
  });

  function argoCm(script: string, useOpenLibs?: boolean): string {
    const file = path.join(tmp, `argocd-cm-${Math.random().toString(36).slice(2)}.yaml`);
    const data: Record<string, string> = { "resource.customizations.health.clouddigit.ai_VPC": script };
    if (useOpenLibs !== undefined)
      data["resource.customizations.useOpenLibs.clouddigit.ai_VPC"] = String(useOpenLibs);
    writeFileSync(file, stringify({ apiVersion: "v1", kind: "ConfigMap", data }));
    return file;
  }
  const argo = (script: string, useOpenLibs?: boolean) =>
    verdicts([object({ conditions: READY })], ["--argocd-cm", argoCm(script, useOpenLibs)])[0]?.argocd;

  it("Lua runs without the string library unless useOpenLibs, as Argo CD runs custom health scripts", () => {
    const script = 'return { status = string.lower("HEALTHY") == "healthy" and "Healthy" or "Degraded" }';
    expect(argo(script)?.status).toBe("Unknown");
    expect(argo(script)?.message).toContain("string");
    expect(argo('return { status = ("x"):upper() == "X" and "Healthy" or "Degraded" }')?.status).toBe(
      "Unknown",
    );
    expect(argo(script, true)?.status).toBe("Healthy");
    expect(
      argo('return { status = (os == nil and table.insert ~= nil) and "Healthy" or "Degraded" }')?.status,
    ).toBe("Healthy");
    expect(argo('return { status = "Fine" }')).toEqual({
      status: "Unknown",
      message: "Lua returned an invalid health status",
    });
    expect(
      argo('return { status = obj.status.conditions[1].type == "Ready" and "Healthy" or "Degraded" }')
        ?.status,
    ).toBe("Healthy");
  });

  it("Flux's evaluator: observedGeneration first, then inProgress, failed, current; InProgress when none holds", () => {
    const file = path.join(tmp, "exprs.yaml");
    writeFileSync(
      file,
      stringify({
        healthCheckExprs: [
          {
            apiVersion: "clouddigit.ai/v1alpha1",
            kind: "VPC",
            inProgress: "false",
            failed: "true",
            current: "true",
          },
          { apiVersion: "clouddigit.ai/v1alpha1", kind: "Subnet", current: "false" },
        ],
      }),
    );
    const run = (obj: unknown) => verdicts([obj], ["--flux-exprs", file])[0]?.flux?.status;
    expect(run(object({ conditions: READY }))).toBe("Failed");
    expect(run(object({ conditions: READY, generation: 3, observed: 2 }))).toBe("InProgress");
    expect(run(object({ kind: "Subnet", conditions: READY }))).toBe("InProgress");
    expect(
      run(
        object({
          kind: "VM",
          conditions: conditions({
            kind: "stalled",
            reason: Reason.InvalidSpec,
            message: "x",
            retryAfterMs: 1,
          }),
        }),
      ),
    ).toBe("Failed");
  });
});

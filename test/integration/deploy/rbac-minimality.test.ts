// Removing any one rule from the chart's RBAC makes the operator fail: for each rule of the
// cluster-wide ClusterRole and of the leader-election Role, the operator runs without it (token of
// the chart's ServiceAccount, nothing else), every step of the RBAC scenario runs at once, and the
// apiserver must refuse the operator a request that only the removed rule allowed. A run stops as
// soon as that happens, so the loop is bounded by the slowest step that needs a rule (~10 s).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { installCrds } from "../controllers/support.ts";
import { rulesFor, type PolicyRule } from "../../../scripts/deploy/rbac.ts";
import { exerciseAll, permissionOf, startScenario } from "./rbac-scenario.ts";

let releaseNamespace: string;
const summary: string[] = [];

// The chart's cluster-wide ClusterRole and its leader-election Role hold exactly these rules, in
// this order (the unit and chart tests check that the rendered objects match the source).
const cases: Array<{ kind: "ClusterRole" | "Role"; rule: PolicyRule }> = [
  ...rulesFor("watched", "credentials", "outputSecrets", "cluster").map((rule) => ({
    kind: "ClusterRole" as const,
    rule,
  })),
  ...rulesFor("leaderElection").map((rule) => ({ kind: "Role" as const, rule })),
];

beforeAll(async () => {
  await installCrds(new KubeClient(testCluster().kubeConfig()));
  releaseNamespace = await createNamespace(testCluster().kubeConfig(), "rbac-min");
});

afterAll(() => {
  console.log(`[rbac-minimality]\n  ${summary.join("\n  ")}`);
});

describe("every rule of the chart's RBAC is needed", () => {
  for (const [n, target] of cases.entries()) {
    const described = `${target.kind} ${target.rule.verbs.join(",")} ${target.rule.apiGroups[0] ?? ""}/${target.rule.resources.join(",")}`;
    it(`without rule #${n + 1} (${described}) the apiserver refuses the operator something`, async () => {
      const watched = await createNamespace(testCluster().kubeConfig(), `rbac-min${n}`);
      const scenario = await startScenario({
        release: `m${n}-${watched.slice(-6)}`,
        releaseNamespace,
        watchedNamespace: watched,
        editRbac: (objects) => {
          const obj = objects.find((o) => o.kind === target.kind) as
            (KubeObject & { rules: PolicyRule[] }) | undefined;
          const index = (obj?.rules ?? []).findIndex(
            (r) => JSON.stringify(r) === JSON.stringify(target.rule),
          );
          if (!obj || index < 0) throw new Error(`the rendered ${target.kind} has no rule ${described}`);
          obj.rules.splice(index, 1);
        },
      });
      const removed = new Set(
        target.rule.resources.flatMap((resource) =>
          target.rule.verbs.map((verb) =>
            permissionOf({ verb, apiGroup: target.rule.apiGroups[0] ?? "", resource }),
          ),
        ),
      );
      const refusedOfRule = () =>
        scenario.requests().filter((r) => r.code === 403 && removed.has(permissionOf(r)));
      const steps = exerciseAll(scenario).then(
        () => "all steps finished",
        (err: unknown) => `a step failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
      );
      let refused = refusedOfRule();
      const deadline = Date.now() + 90_000;
      let outcome: string | undefined;
      void steps.then((o) => (outcome = o));
      while (refused.length === 0 && outcome === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        refused = refusedOfRule();
      }
      scenario.abort();
      await steps;
      await scenario.stop(); // flushes Event series: a removed events rule may only show here
      await new Promise((r) => setTimeout(r, 500));
      refused = refusedOfRule();
      summary.push(
        `without ${described}: ${refused.length > 0 ? `refused ${[...new Set(refused.map(permissionOf))].join(", ")}` : `nothing refused (${outcome ?? "timed out"})`}`,
      );
      expect(refused.length, `${described}: ${outcome ?? "no refusal within 90 s"}`).toBeGreaterThan(0);
    });
  }
});

// Flux health checks for every clouddigit.ai kind: the `healthCheckExprs` block of a Flux
// Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux v2.5.0 and later), written to
// config/gitops/flux-healthcheckexprs.yaml by generate.ts. Flux evaluates them with
// github.com/fluxcd/pkg/runtime/cel: an observedGeneration different from metadata.generation is
// InProgress before any expression; then inProgress, failed and current in that order, the first
// that is true wins, and InProgress when none is. The rules (docs/gitops.md has the measured table):
// - paused (annotation clouddigit.ai/paused not "false", in any letter case, as the operator reads
//   it): current, nobody waits on an object the operator leaves alone;
// - Stalled=True: failed, also while deleting (a deletion that needs the user);
// - being deleted, or Reconciling=True: inProgress;
// - Ready=True: current. Anything else (no conditions yet, Ready=False) falls through to InProgress.
// ProviderConfig / ClusterProviderConfig: failed while DeletionsStalled=True (objects using the
// config cannot finish deleting), current when Ready=True, inProgress while deleting.
// An object without any status makes the expressions fail to evaluate (CEL cannot test for a
// missing top-level field), which Flux reports as Unknown with the error: not ready either.
import { allKinds } from "../../src/crds/index.ts";
import { PAUSED_ANNOTATION } from "../../src/crds/common.ts";

export interface HealthCheckExpr {
  apiVersion: string;
  kind: string;
  inProgress: string;
  failed: string;
  current: string;
}

const CONFIG_KINDS = new Set(["ProviderConfig", "ClusterProviderConfig"]);

const condition = (type: string, status: "True" | "False") =>
  `(has(status.conditions) && status.conditions.exists(c, c.type == '${type}' && c.status == '${status}'))`;
const deleting = "has(metadata.deletionTimestamp)";
const paused =
  `(has(metadata.annotations) && '${PAUSED_ANNOTATION}' in metadata.annotations && ` +
  `!(metadata.annotations['${PAUSED_ANNOTATION}'].trim().lowerAscii() in ['false', '']))`;

export function fluxHealthCheckExprs(): HealthCheckExpr[] {
  return [...allKinds]
    .sort((a, b) => a.kind.localeCompare(b.kind))
    .map((def) => {
      const apiVersion = `${def.group}/${def.version}`;
      if (CONFIG_KINDS.has(def.kind)) {
        const deletionsStalled = condition("DeletionsStalled", "True");
        return {
          apiVersion,
          kind: def.kind,
          inProgress: `${deleting} && !${deletionsStalled}`,
          failed: deletionsStalled,
          current: `!${deleting} && ${condition("Ready", "True")}`,
        };
      }
      const stalled = condition("Stalled", "True");
      return {
        apiVersion,
        kind: def.kind,
        inProgress: `!${paused} && !${stalled} && (${deleting} || ${condition("Reconciling", "True")})`,
        failed: `!${paused} && ${stalled}`,
        current: `${paused} || (!${deleting} && ${condition("Ready", "True")})`,
      };
    });
}

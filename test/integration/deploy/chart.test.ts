// The Helm chart and the kustomize base against the real apiserver: `helm lint`, and the rendered
// manifests accepted by `kubectl apply --dry-run=server` (schema, admission and RBAC checks for
// real) in cluster-wide and namespace-scoped mode; values of the wrong type rejected by the schema.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { defaultEndpoints } from "../../../src/client/factory.ts";
import { DEFAULT_OPERATOR_TOKEN_PATH } from "../../../src/crds/provider-config.ts";
import { loadConfig } from "../../../src/main.ts";
import { promqlSyntaxErrors } from "../../../scripts/deploy/promql.ts";
import { CHART, helmBin, helmTemplate, kubectl, parseObjects, ROOT, run } from "./support.ts";

let releaseNamespace: string;
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  const kc = testCluster().kubeConfig();
  releaseNamespace = await createNamespace(kc, "chart-op");
  tenantA = await createNamespace(kc, "chart-a");
  tenantB = await createNamespace(kc, "chart-b");
});

function kinds(yamlText: string): string[] {
  return parseObjects(yamlText)
    .map((o) => o.kind ?? "")
    .sort();
}

// Objects other tests created with server-side apply lack kubectl's annotation; kubectl says so.
const MISSING_ANNOTATION =
  /^Warning: resource \S+ is missing the kubectl.kubernetes.io\/last-applied-configuration annotation/;

async function dryRunApply(manifests: string): Promise<string> {
  const result = await kubectl(["apply", "--dry-run=server", "-f", "-"], manifests);
  expect(result.stderr.split("\n").filter((l) => l !== "" && !MISSING_ANNOTATION.test(l))).toEqual([]);
  expect(result.code).toBe(0);
  return result.stdout;
}

describe("helm chart", () => {
  it("passes helm lint with default values and in namespace-scoped mode (strict)", async () => {
    const plain = await run(helmBin(), ["lint", "--strict", CHART]);
    expect(plain.stdout).toContain("0 chart(s) failed");
    expect(plain.code).toBe(0);
    const scoped = await run(helmBin(), [
      "lint",
      "--strict",
      CHART,
      "--set",
      "watchNamespaces={team-a,team-b}",
      "--set",
      "rbac.credentialNamespaces={team-a}",
      "--set",
      "networkPolicy.enabled=true",
      "--set",
      "metrics.prometheusRule.enabled=true",
      "--set",
      "metrics.serviceMonitor.enabled=true",
      "--set",
      "grafanaDashboard.enabled=true",
    ]);
    expect(scoped.code).toBe(0);
  });

  it("default values: the rendered release is accepted by the apiserver (dry-run=server)", async () => {
    const rendered = await helmTemplate("cd-default", releaseNamespace);
    expect(rendered.code).toBe(0);
    expect(kinds(rendered.stdout)).toEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      ...Array<string>(8).fill("CustomResourceDefinition"),
      "Deployment",
      "PodDisruptionBudget",
      "Role",
      "RoleBinding",
      "Service",
      "ServiceAccount",
    ]);
    const out = await dryRunApply(rendered.stdout);
    expect(out).toContain("deployment.apps/cd-default-clouddigit-operator created (server dry run)");
    expect(out).toContain(
      "clusterrole.rbac.authorization.k8s.io/cd-default-clouddigit-operator created (server dry run)",
    );

    const objects = parseObjects(rendered.stdout);
    const deployment = objects.find((o) => o.kind === "Deployment") as unknown as k8s.V1Deployment;
    const pod = deployment.spec?.template.spec;
    expect(deployment.spec?.replicas).toBe(2);
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod?.containers[0]?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod?.containers[0]?.env).toEqual(
      expect.arrayContaining([
        { name: "LEADER_ELECT", value: "true" },
        { name: "HEALTH_ADDRESS", value: ":8080" },
      ]),
    );
    expect(pod?.containers[0]?.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(pod?.containers[0]?.livenessProbe?.httpGet?.path).toBe("/healthz");
    const projected = pod?.volumes?.find((v) => v.name === "clouddigit-token")?.projected?.sources?.[0];
    expect(projected?.serviceAccountToken).toEqual({
      audience: "https://auth.clouddigit.ai/realms/clouddigit",
      expirationSeconds: 3600,
      path: "token",
    });
    expect(pod?.topologySpreadConstraints?.map((t) => t.topologyKey)).toEqual([
      "kubernetes.io/hostname",
      "topology.kubernetes.io/zone",
    ]);
    for (const crd of objects.filter((o) => o.kind === "CustomResourceDefinition")) {
      expect(crd.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    }
  });

  it("namespace-scoped mode: Roles in the watched namespaces only, and the apiserver accepts it", async () => {
    const rendered = await helmTemplate("cd-scoped", releaseNamespace, {
      watchNamespaces: [tenantA, tenantB],
      crds: { install: false },
      networkPolicy: { enabled: true },
      grafanaDashboard: { enabled: true },
    });
    expect(rendered.code).toBe(0);
    const objects = parseObjects(rendered.stdout);
    expect(objects.filter((o) => o.kind === "CustomResourceDefinition")).toEqual([]);
    const roles = objects
      .filter((o) => o.kind === "Role")
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(roles.sort()).toEqual(
      [
        `${tenantA}/cd-scoped-clouddigit-operator`,
        `${tenantB}/cd-scoped-clouddigit-operator`,
        `${releaseNamespace}/cd-scoped-clouddigit-operator-leader-election`,
      ].sort(),
    );
    // The cluster-wide grants left: ClusterProviderConfigs (a cluster-scoped kind) and the
    // kube-system namespace, whose UID is the default installation ID.
    const clusterRole = objects.find((o) => o.kind === "ClusterRole") as unknown as k8s.V1ClusterRole;
    expect(clusterRole.rules).toEqual([
      { apiGroups: ["clouddigit.ai"], resources: ["clusterproviderconfigs"], verbs: ["list", "watch"] },
      { apiGroups: ["clouddigit.ai"], resources: ["clusterproviderconfigs/status"], verbs: ["patch"] },
      { apiGroups: [""], resourceNames: ["kube-system"], resources: ["namespaces"], verbs: ["get"] },
    ]);
    const env = (objects.find((o) => o.kind === "Deployment") as unknown as k8s.V1Deployment).spec?.template
      .spec?.containers[0]?.env;
    expect(env).toContainEqual({ name: "WATCH_NAMESPACES", value: `${tenantA},${tenantB}` });
    const out = await dryRunApply(rendered.stdout);
    expect(out).toContain(
      `networkpolicy.networking.k8s.io/cd-scoped-clouddigit-operator created (server dry run)`,
    );
    expect(out).toContain(`configmap/cd-scoped-clouddigit-operator-dashboard created (server dry run)`);
  });

  it("namespace-scoped mode: credentialNamespaces adds Secret reads and token requests there; Secret outputs can be turned off", async () => {
    const rendered = await helmTemplate("cd-creds", releaseNamespace, {
      crds: { install: false },
      watchNamespaces: [tenantA],
      rbac: { credentialNamespaces: [releaseNamespace, tenantA], bucketOutputSecrets: false },
    });
    expect(rendered.code).toBe(0);
    const objects = parseObjects(rendered.stdout);
    const roles = objects.filter((o) => o.kind === "Role") as unknown as k8s.V1Role[];
    const credentials = roles.filter((r) => r.metadata?.name === "cd-creds-clouddigit-operator-credentials");
    // tenantA is watched, so its Role already has these rules: no second Role there.
    expect(credentials.map((r) => r.metadata?.namespace)).toEqual([releaseNamespace]);
    expect(credentials[0]?.rules?.flatMap((r) => r.resources ?? []).sort()).toEqual([
      "secrets",
      "serviceaccounts/token",
    ]);
    const watched = roles.find((r) => r.metadata?.namespace === tenantA);
    const secretVerbs = watched?.rules
      ?.filter((r) => r.resources?.includes("secrets"))
      .flatMap((r) => r.verbs);
    expect(secretVerbs).toEqual(["get"]);
    await dryRunApply(rendered.stdout);
  });

  it("the PrometheusRule's alert expressions are valid PromQL with the release's selectors", async () => {
    const rendered = await helmTemplate("cd-alerts", releaseNamespace, {
      metrics: { prometheusRule: { enabled: true }, serviceMonitor: { enabled: true } },
    });
    expect(rendered.code).toBe(0);
    const rule = parseObjects(rendered.stdout).find((o) => o.kind === "PrometheusRule") as unknown as {
      spec: { groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }> };
    };
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      "CloudDigitReconcileErrors",
      "CloudDigitReconcileRetries",
      "CloudDigitObjectsStalled",
      "CloudDigitResourcesNotReady",
      "CloudDigitThrottled",
      "CloudDigitTokenRefreshFailures",
      "CloudDigitOperatorNoLeader",
    ]);
    for (const r of rules) {
      expect(promqlSyntaxErrors(r.expr), r.alert).toEqual([]);
      expect(r.expr).toContain(
        `namespace="${releaseNamespace}", job="cd-alerts-clouddigit-operator-metrics"`,
      );
    }
    const monitor = parseObjects(rendered.stdout).find((o) => o.kind === "ServiceMonitor") as unknown as {
      spec: { endpoints: Array<{ port: string; path: string }> };
    };
    expect(monitor.spec.endpoints).toMatchObject([{ port: "http-metrics", path: "/metrics" }]);
  });

  it("values of the wrong type or unknown keys are rejected by values.schema.json", async () => {
    for (const [values, complaint] of [
      [{ replicaCount: "two" }, "replicaCount"],
      [{ watchNamespaces: "team-a,team-b" }, "watchNamespaces"],
      [{ leaderElection: { enabled: "yes" } }, "enabled"],
      [{ operator: { resync: "ten minutes" } }, "resync"],
      [{ workloadIdentity: { expirationSeconds: 86400 } }, "expirationSeconds"],
      [{ replicas: 3 }, "replicas"],
      [
        { operator: { memory: { maxOldSpaceMiB: 32, maxSemiSpaceMiB: 4, mallocArenaMax: 2 } } },
        "maxOldSpaceMiB",
      ],
    ] as const) {
      const result = await helmTemplate("cd-bad", releaseNamespace, values);
      expect(result.code, JSON.stringify(values)).not.toBe(0);
      expect(result.stderr).toContain("values don't meet the specifications of the schema");
      expect(result.stderr).toContain(complaint);
    }
  });
});

/** The operator's configuration as the container would parse it from the Deployment's env and args. */
function operatorConfigOf(deployment: k8s.V1Deployment, podNamespace: string) {
  const container = deployment.spec?.template.spec?.containers[0];
  const env: NodeJS.ProcessEnv = {};
  for (const e of container?.env ?? []) {
    if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[e.name] = podNamespace;
    else if (e.value !== undefined) env[e.name] = e.value;
  }
  return loadConfig(container?.args ?? [], env);
}

describe("the operator's pod meets the restricted Pod Security Standard", () => {
  it("the apiserver's PodSecurity admission (enforce: restricted) accepts the chart's and kustomize's pods", async () => {
    const ns = await createNamespace(testCluster().kubeConfig(), "chart-pss");
    const label = await kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"]);
    expect(label.code).toBe(0);
    const chart = parseObjects((await helmTemplate("cd-pss", ns)).stdout);
    const base = parseObjects((await kubectl(["kustomize", `${ROOT}/config/default`])).stdout);
    for (const [source, objects] of [
      ["chart", chart],
      ["kustomize", base],
    ] as const) {
      const deployment = objects.find((o) => o.kind === "Deployment") as unknown as k8s.V1Deployment;
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `pss-${source}`, namespace: ns },
        spec: deployment.spec?.template.spec,
      };
      const result = await kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(pod));
      expect(result.stderr, source).toBe("");
      expect(result.stdout).toContain(`pod/pss-${source} created (server dry run)`);
    }
    // The check has teeth: a privileged variant of the same pod is refused.
    const deployment = chart.find((o) => o.kind === "Deployment") as unknown as k8s.V1Deployment;
    const spec = structuredClone(deployment.spec?.template.spec);
    if (spec?.containers[0]) spec.containers[0].securityContext = { allowPrivilegeEscalation: true };
    const refused = await kubectl(
      ["apply", "--dry-run=server", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "pss-bad", namespace: ns }, spec }),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('violates PodSecurity "restricted:latest"');
  });
});

describe("the Deployment configures the operator the way src/main.ts reads it", () => {
  it("chart: leader election in the release namespace, probes on all interfaces, the watched namespaces", async () => {
    const scoped = parseObjects(
      (await helmTemplate("cd-cfg", releaseNamespace, { watchNamespaces: [tenantA, tenantB] })).stdout,
    ).find((o) => o.kind === "Deployment") as unknown as k8s.V1Deployment;
    expect(operatorConfigOf(scoped, releaseNamespace)).toMatchObject({
      leaderElect: true,
      leaderElectionNamespace: releaseNamespace,
      leaderElectionId: "cd-cfg-clouddigit-operator",
      healthAddress: { host: "0.0.0.0", port: 8080 },
      namespaces: [tenantA, tenantB],
      logLevel: "info",
      concurrency: 4,
      resync: 600_000,
      pollInterval: 1_000,
    });
    // The projected token lands where OIDC ProviderConfigs look by default, for the default identity endpoint.
    const pod = scoped.spec?.template.spec;
    const mount = pod?.containers[0]?.volumeMounts?.find((m) => m.name === "clouddigit-token");
    const source = pod?.volumes?.find((v) => v.name === "clouddigit-token")?.projected?.sources?.[0];
    expect(`${mount?.mountPath}/${source?.serviceAccountToken?.path}`).toBe(DEFAULT_OPERATOR_TOKEN_PATH);
    expect(source?.serviceAccountToken?.audience).toBe(defaultEndpoints("bd-dha-1").identity);
    await expectBoundedMemory(scoped);
  });

  it("kustomize: the same, watching the whole cluster", async () => {
    const rendered = parseObjects((await kubectl(["kustomize", `${ROOT}/config/default`])).stdout);
    const deployment = rendered.find((o) => o.kind === "Deployment") as unknown as k8s.V1Deployment;
    const config = operatorConfigOf(deployment, "clouddigit-system");
    expect(config).toMatchObject({
      leaderElect: true,
      leaderElectionNamespace: "clouddigit-system",
      healthAddress: { host: "0.0.0.0", port: 8080 },
    });
    expect(config === "help" ? "help" : config.namespaces).toBeUndefined();
    await expectBoundedMemory(deployment);
  });
});

/** The memory settings are in the env, and Node takes them from NODE_OPTIONS (a flag it refused would stop it). */
async function expectBoundedMemory(deployment: k8s.V1Deployment): Promise<void> {
  const env = Object.fromEntries(
    (deployment.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
  );
  expect(env.NODE_OPTIONS).toBe("--max-old-space-size=256 --max-semi-space-size=2");
  expect(env.MALLOC_ARENA_MAX).toBe("2");
  expect(env.MALLOC_TRIM_THRESHOLD_).toBe("131072");
  expect(env.MALLOC_MMAP_THRESHOLD_).toBe("131072");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["-e", "console.log(require('node:v8').getHeapStatistics().heap_size_limit)"],
    { env: { ...process.env, NODE_OPTIONS: env.NODE_OPTIONS } },
  );
  const limitMiB = Number(stdout) / 2 ** 20;
  expect(limitMiB).toBeGreaterThanOrEqual(256);
  expect(limitMiB).toBeLessThan(300);
}

describe("kustomize base", () => {
  it("kubectl kustomize config/default renders CRDs, RBAC and the manager, and the apiserver accepts it", async () => {
    const rendered = await kubectl(["kustomize", `${ROOT}/config/default`]);
    expect(rendered.code).toBe(0);
    expect(kinds(rendered.stdout)).toEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      ...Array<string>(8).fill("CustomResourceDefinition"),
      "Deployment",
      "Namespace",
      "PodDisruptionBudget",
      "Role",
      "RoleBinding",
      "Service",
      "ServiceAccount",
    ]);
    // A server dry run cannot create the namespace its own objects go into; create it for real.
    const ns = await kubectl(["create", "namespace", "clouddigit-system", "--save-config"]);
    expect(ns.code === 0 || ns.stderr.includes("AlreadyExists")).toBe(true);
    const out = await dryRunApply(rendered.stdout);
    expect(out).toContain("deployment.apps/clouddigit-operator created (server dry run)");
  });

  it("the chart and the kustomize base grant the same cluster-wide rules", async () => {
    const chart = parseObjects((await helmTemplate("clouddigit-operator", "clouddigit-system")).stdout);
    const base = parseObjects((await kubectl(["kustomize", `${ROOT}/config/default`])).stdout);
    const rules = (objs: typeof chart, kind: string) =>
      (objs.find((o) => o.kind === kind) as unknown as { rules: unknown[] }).rules;
    const sortRules = (r: unknown[]) => r.map((x) => JSON.stringify(x)).sort();
    expect(sortRules(rules(chart, "ClusterRole"))).toEqual(sortRules(rules(base, "ClusterRole")));
    expect(rules(chart, "Role")).toEqual(rules(base, "Role"));
  });
});

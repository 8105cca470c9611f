// The operator's RBAC, defined once. `scripts/deploy/generate.ts` writes it into the kustomize base
// (config/rbac/) and into the Helm chart's rule templates, and a unit test fails when either copy
// differs from what this file produces. Every rule names the code that needs it: a rule without
// such a caller does not belong here.
import { CONFIG_MAP_RESOURCE, resourceType } from "../../src/controllers/kube/resources.ts";
import { MANAGED_KINDS } from "../../src/controllers/kinds/index.ts";
import { IDENTITY_NAMESPACE, NAMESPACE_RESOURCE } from "../../src/controllers/kube/installation.ts";
import { DEFAULT_OPERATOR_TOKEN_PATH } from "../../src/crds/provider-config.ts";
import { EVENT_RESOURCE } from "../../src/runtime/events.ts";
import { LEASE_RESOURCE } from "../../src/runtime/leader-election.ts";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/**
 * Where a group of rules is granted:
 * - `watched`: wherever the operator watches objects (a ClusterRole when it watches the whole
 *   cluster; a Role in each watched namespace in namespace-scoped mode);
 * - `credentials`: reading Secrets by name and requesting ServiceAccount tokens: wherever the
 *   operator watches (ProviderConfigs, VM user data and Bucket outputs live there), plus any extra
 *   namespaces the installer lists for ClusterProviderConfigs' Secrets and ServiceAccounts;
 * - `outputSecrets`: where Buckets write a workload Secret (`spec.outputs.secretName`): the watched
 *   namespaces, unless the installer turns Secret outputs off;
 * - `cluster`: cluster-scoped kinds, which only a ClusterRole can grant;
 * - `leaderElection`: the namespace of the leader-election Lease.
 */
export type Scope =
  "watched" | "credentials" | "outputSecrets" | "outputSecretsRead" | "cluster" | "leaderElection";

export interface Grant {
  scope: Scope;
  rule: PolicyRule;
  /** The code that issues these requests. */
  why: string;
}

// The generic reconciler's kinds plus Bucket, which has its own S3 reconciler.
const managedPlurals = [...MANAGED_KINDS.map((kind) => resourceType(kind).plural)].sort();
const providerConfig = resourceType("ProviderConfig");
const clusterProviderConfig = resourceType("ClusterProviderConfig");

export const GRANTS: readonly Grant[] = [
  {
    scope: "watched",
    rule: { apiGroups: ["clouddigit.ai"], resources: managedPlurals, verbs: ["list", "patch", "watch"] },
    why: "informers list+watch every managed kind (src/runtime/reflector.ts); finalizers and annotations are merge patches (src/controllers/kube/adapters.ts KubeObjectWriter.patchMetadata)",
  },
  {
    scope: "watched",
    rule: {
      apiGroups: ["clouddigit.ai"],
      resources: managedPlurals.map((p) => `${p}/status`),
      verbs: ["patch"],
    },
    why: "status is a JSON merge patch on /status (src/runtime/status.ts writeStatus; src/controllers/kube/adapters.ts KubeObjectWriter.writeStatus)",
  },
  {
    scope: "watched",
    rule: { apiGroups: [providerConfig.group], resources: [providerConfig.plural], verbs: ["list", "watch"] },
    why: "ProviderConfig informer (src/controllers/operator.ts); the spec is never written",
  },
  {
    scope: "watched",
    rule: {
      apiGroups: [providerConfig.group],
      resources: [`${providerConfig.plural}/status`],
      verbs: ["patch"],
    },
    why: "ProviderConfig status (credentials resolvable or not) via writeStatus (src/controllers/provider/status.ts, src/controllers/operator.ts)",
  },
  {
    scope: "watched",
    rule: {
      apiGroups: [CONFIG_MAP_RESOURCE.group],
      resources: [CONFIG_MAP_RESOURCE.plural],
      verbs: ["create", "get", "patch"],
    },
    why: "Bucket connection-details ConfigMap (spec.outputs): read by name, created, patched when stale (src/controllers/kube/outputs.ts)",
  },
  {
    scope: "watched",
    rule: {
      apiGroups: [EVENT_RESOURCE.group],
      resources: [EVENT_RESOURCE.plural],
      verbs: ["create", "patch"],
    },
    why: "events.k8s.io/v1 Events: create, then patch series.count on repeats (src/runtime/events.ts)",
  },
  {
    scope: "credentials",
    rule: { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
    why: "Secrets read by name, never listed or watched: API tokens and S3 keys of ProviderConfigs, VM userDataSecretRef, Bucket outputs before rewriting them (src/controllers/kube/adapters.ts KubeSecretReader, src/controllers/kinds/vm.ts, src/controllers/kube/outputs.ts)",
  },
  {
    scope: "credentials",
    rule: { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] },
    why: "per-tenant OIDC: TokenRequest for the ServiceAccount a ProviderConfig names (src/client/credentials/subject-token.ts TokenRequestSource)",
  },
  {
    scope: "outputSecrets",
    rule: { apiGroups: [""], resources: ["secrets"], verbs: ["create", "patch"] },
    why: "Bucket workload-keys Secret (spec.outputs.secretName): created, patched when stale; never listed (src/controllers/kube/outputs.ts)",
  },
  {
    scope: "cluster",
    rule: {
      apiGroups: [clusterProviderConfig.group],
      resources: [clusterProviderConfig.plural],
      verbs: ["list", "watch"],
    },
    why: "ClusterProviderConfig informer (src/controllers/operator.ts); cluster-scoped, so a ClusterRole even in namespace-scoped mode",
  },
  {
    scope: "cluster",
    rule: {
      apiGroups: [clusterProviderConfig.group],
      resources: [`${clusterProviderConfig.plural}/status`],
      verbs: ["patch"],
    },
    why: "ClusterProviderConfig status via writeStatus (src/controllers/provider/status.ts, src/controllers/operator.ts)",
  },
  {
    scope: "cluster",
    rule: {
      apiGroups: [NAMESPACE_RESOURCE.group],
      // Keys in kustomize's (alphabetical) order, so the chart and the base render alike.
      resourceNames: [IDENTITY_NAMESPACE],
      resources: [NAMESPACE_RESOURCE.plural],
      verbs: ["get"],
    },
    why: "the default installation ID is derived from the kube-system namespace's UID, read once at start (src/controllers/kube/installation.ts)",
  },
  {
    scope: "leaderElection",
    rule: {
      apiGroups: [LEASE_RESOURCE.group],
      resources: [LEASE_RESOURCE.plural],
      verbs: ["create", "get", "update"],
    },
    why: "leader election: get, create when missing, update to renew/take over/release (src/runtime/leader-election.ts)",
  },
];

export function rulesFor(...scopes: Scope[]): PolicyRule[] {
  return GRANTS.filter((g) => scopes.includes(g.scope)).map((g) => g.rule);
}

/** Where the operator's own projected token is mounted (the ProviderConfig default). */
export const OPERATOR_TOKEN_PATH = DEFAULT_OPERATOR_TOKEN_PATH;

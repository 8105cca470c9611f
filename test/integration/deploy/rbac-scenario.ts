// One run of the operator under the chart's RBAC and nothing else: the chart's ServiceAccount and
// rendered (Cluster)Roles/Bindings applied by the admin, a TokenRequest token for that
// ServiceAccount as the operator's only credential, leader election on, the samples and a
// per-tenant OIDC probe applied, then deleted. The audit log tells which requests it made and
// whether any was forbidden.
import type { KubeConfig } from "@kubernetes/client-node";
import { startSandbox, type Sandbox } from "../../../sandbox/server.ts";
import type { ManagedKind, ManagedObject } from "../../../src/controllers/generic/actuator.ts";
import { CONFIG_MAP_RESOURCE } from "../../../src/controllers/kube/resources.ts";
import { resourceType, SECRET_RESOURCE } from "../../../src/controllers/kube/resources.ts";
import { configSchema, startOperator } from "../../../src/main.ts";
import { isNotFound, KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { testCluster } from "../../support/cluster.ts";
import { freePort } from "../../support/process.ts";
import { startS3Server, type S3Server } from "../../support/s3-server.ts";
import { SAMPLE_PROJECT, SAMPLE_TOKEN, sampleObjects } from "../controllers/support.ts";
import {
  applyAsAdmin,
  auditedRequests,
  auditMark,
  deleteAsAdmin,
  helmTemplate,
  parseObjects,
  RBAC_KINDS,
  serviceAccountToken,
  tokenKubeConfig,
  type AuditEntry,
} from "./support.ts";

const BUCKET_RESOURCE = resourceType("Bucket");

export const SAMPLES: Array<[ManagedKind, string]> = [
  ["VPC", "web"],
  ["Subnet", "web-a"],
  ["SSHKey", "platform"],
  ["Volume", "web-data"],
  ["VM", "web-1"],
];

export interface ScenarioOptions {
  release: string;
  releaseNamespace: string;
  watchedNamespace: string;
  /** Chart values (watchNamespaces etc.); crds.install is always false (the CRDs are installed). */
  values?: Record<string, unknown>;
  /** Transform the rendered RBAC before it is applied (the minimality test removes one verb). */
  editRbac?: (objects: KubeObject[]) => void;
}

export interface Scenario {
  username: string;
  sandbox: Sandbox;
  admin: KubeClient;
  operatorKubeConfig: KubeConfig;
  rbac: KubeObject[];
  auditStart: number;
  /** Requests the operator's ServiceAccount made since the scenario started. */
  requests(): AuditEntry[];
  applySamples(): Promise<void>;
  applyOidcProbe(): Promise<void>;
  /**
   * A Bucket with ConfigMap and Secret outputs on a real S3 server, Ready; then the workload keys
   * rotate and the S3 endpoint is renamed, so both outputs are patched; then the Bucket is deleted.
   */
  bucketLifecycle(timeoutMs: number): Promise<void>;
  /** A ClusterProviderConfig whose status the operator writes; removed again. */
  clusterProviderConfig(timeoutMs: number): Promise<void>;
  /**
   * Pauses, resumes, pauses and resumes an object: the second pause repeats the first one's Event,
   * which the recorder writes as a series update (patch) within 30 s or when the operator stops.
   */
  pauseTwice(kind: ManagedKind, name: string, timeoutMs: number): Promise<void>;
  get(kind: ManagedKind, name: string): Promise<ManagedObject | undefined>;
  waitReady(timeoutMs: number): Promise<void>;
  deleteSamples(timeoutMs: number): Promise<void>;
  /** Ends every wait of the scenario's steps at once (they reject). */
  abort(): void;
  stop(): Promise<void>;
}

/** The chart's RBAC for this release, with the ServiceAccount: everything the operator is granted. */
export async function renderRbac(opts: ScenarioOptions): Promise<KubeObject[]> {
  const rendered = await helmTemplate(opts.release, opts.releaseNamespace, {
    ...opts.values,
    crds: { install: false },
  });
  if (rendered.code !== 0) throw new Error(`helm template failed: ${rendered.stderr}`);
  return parseObjects(rendered.stdout).filter((o) => RBAC_KINDS.includes(o.kind ?? ""));
}

export async function startScenario(opts: ScenarioOptions): Promise<Scenario> {
  const cluster = testCluster();
  const admin = new KubeClient(cluster.kubeConfig());
  const rbac = await renderRbac(opts);
  opts.editRbac?.(rbac);
  await applyAsAdmin(rbac);
  const serviceAccount = rbac.find((o) => o.kind === "ServiceAccount");
  const saName = serviceAccount?.metadata.name ?? "";
  const username = `system:serviceaccount:${opts.releaseNamespace}:${saName}`;
  // A tenant ServiceAccount for the per-tenant OIDC probe (created by the admin, as a tenant would).
  await applyAsAdmin([
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "tenant", namespace: opts.watchedNamespace },
    },
  ]);

  const auditStart = auditMark();
  const token = await serviceAccountToken(opts.releaseNamespace, saName);
  const operatorKubeConfig = tokenKubeConfig(token);
  const sandbox = await startSandbox({
    tokens: [{ token: SAMPLE_TOKEN, projects: [SAMPLE_PROJECT], name: "samples" }],
    delays: { vpc: 150, subnet: 150, server: 300, volume: 150 },
  });
  const fullname = rbac
    .find((o) => o.kind === "Role" && o.metadata.name?.endsWith("-leader-election"))
    ?.metadata.name?.replace(/-leader-election$/, "");
  const operator = await startOperator(
    {
      ...configSchema.parse({ logLevel: process.env.OPERATOR_LOG_LEVEL ?? "error" }),
      namespaces: [opts.watchedNamespace],
      leaderElect: true,
      leaderElectionNamespace: opts.releaseNamespace,
      leaderElectionId: fullname ?? "clouddigit-operator",
      healthAddress: { host: "127.0.0.1", port: 0 },
      pollInterval: 250,
    },
    operatorKubeConfig,
  );
  const ns = opts.watchedNamespace;
  const apply = async (obj: KubeObject): Promise<void> => {
    const kind = obj.kind ?? "";
    const rt = kind === "Secret" ? SECRET_RESOURCE : resourceType(kind as ManagedKind | "ProviderConfig");
    await admin.patch(
      rt,
      ns,
      obj.metadata.name ?? "",
      { ...obj, metadata: { ...obj.metadata, namespace: ns } },
      "apply",
      {
        fieldManager: "clouddigit-deploy-tests",
        force: true,
      },
    );
  };
  const get = async (kind: ManagedKind, name: string): Promise<ManagedObject | undefined> => {
    try {
      return (await admin.get(resourceType(kind), ns, name)) as unknown as ManagedObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const getOther = async (rt: typeof SECRET_RESOURCE, name: string, namespace: string | undefined = ns) => {
    try {
      return await admin.get(rt, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  let s3Server: S3Server | undefined;
  let aborted = false;
  // Cluster-scoped, so other tests' operators see it too: always removed in stop().
  const clusterConfigName = `rbac-${ns}`;
  // waitUntil's contract, but ends at once when the scenario is aborted (the minimality test stops
  // a run as soon as the apiserver refused the operator something).
  const until = async (
    what: string,
    probe: () => Promise<boolean>,
    opts: { timeoutMs: number; intervalMs?: number },
  ): Promise<void> => {
    const deadline = Date.now() + opts.timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (aborted) throw new Error(`aborted while waiting for ${what}`);
      try {
        if (await probe()) return;
      } catch (err) {
        lastError = err;
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
    }
    throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}: ${String(lastError)}`);
  };
  const isReady = (o: ManagedObject | undefined): boolean =>
    o?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

  return {
    username,
    sandbox,
    admin,
    operatorKubeConfig,
    rbac,
    auditStart,
    requests: () => auditedRequests(username, auditStart).entries,
    async applySamples() {
      for (const obj of sampleObjects(sandbox.url)) await apply(obj);
    },
    async applyOidcProbe() {
      // Identity endpoint on a closed loopback port: the TokenRequest happens first (that is what
      // this probe exercises), then the exchange fails with a clear "cannot reach" message.
      const closedPort = await freePort();
      await apply({
        apiVersion: "clouddigit.ai/v1alpha1",
        kind: "ProviderConfig",
        metadata: { name: "tenant-oidc" },
        spec: {
          region: "bd-dha-1",
          project: SAMPLE_PROJECT,
          endpoints: { api: sandbox.url, identity: `http://127.0.0.1:${closedPort}/realms/tenant` },
          credentials: { source: "OIDC", oidc: { clientID: "tenant-client", serviceAccountName: "tenant" } },
        },
      });
      await apply({
        apiVersion: "clouddigit.ai/v1alpha1",
        kind: "VPC",
        metadata: { name: "oidc-probe" },
        spec: { cidr: "10.30.0.0/16", providerConfigRef: { name: "tenant-oidc" } },
      });
    },
    get,
    async bucketLifecycle(timeoutMs) {
      s3Server = await startS3Server();
      const keys = (secretAccessKey: string): KubeObject => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s3-workload-keys" },
        stringData: { accessKeyID: s3Server?.accessKeyId ?? "", secretAccessKey },
      });
      await apply({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s3-keys" },
        stringData: { accessKeyID: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey },
      });
      await apply(keys(s3Server.secretAccessKey));
      await apply({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "bucket-api-token" },
        stringData: { token: SAMPLE_TOKEN },
      });
      const providerConfig = (s3Endpoint: string): KubeObject => ({
        apiVersion: "clouddigit.ai/v1alpha1",
        kind: "ProviderConfig",
        metadata: { name: "s3" },
        spec: {
          region: s3Server?.region,
          project: SAMPLE_PROJECT,
          endpoints: { s3: s3Endpoint, api: sandbox.url },
          credentials: {
            source: "APIToken",
            apiToken: { secretRef: { name: "clouddigit-credentials", key: "token" } },
            s3: { secretRef: { name: "s3-keys" } },
            workloadS3SecretRef: { name: "s3-workload-keys" },
          },
        },
      });
      await apply(providerConfig(s3Server.endpoint));
      const bucketName = `rbac-${ns.slice(-6)}`;
      await admin.patch(
        BUCKET_RESOURCE,
        ns,
        "data",
        {
          apiVersion: "clouddigit.ai/v1alpha1",
          kind: "Bucket",
          metadata: { name: "data", namespace: ns },
          spec: {
            bucketName,
            providerConfigRef: { name: "s3" },
            outputs: { configMapName: "data-s3", secretName: "data-s3-keys" },
          },
        },
        "apply",
        { fieldManager: "clouddigit-deploy-tests", force: true },
      );
      const bucketReady = async () =>
        ((await getOther(BUCKET_RESOURCE, "data")) as ManagedObject | undefined)?.status?.conditions?.some(
          (c) => c.type === "Ready" && c.status === "True",
        ) ?? false;
      try {
        await until("Bucket Ready", bucketReady, { timeoutMs, intervalMs: 250 });
      } catch (err) {
        const conditions = ((await getOther(BUCKET_RESOURCE, "data")) as ManagedObject | undefined)?.status
          ?.conditions;
        throw new Error(`${(err as Error).message}; conditions: ${JSON.stringify(conditions)}`, {
          cause: err,
        });
      }
      const secretValue = async () =>
        Buffer.from(
          ((await getOther(SECRET_RESOURCE, "data-s3-keys")) as { data?: Record<string, string> } | undefined)
            ?.data?.AWS_SECRET_ACCESS_KEY ?? "",
          "base64",
        ).toString("utf8");
      await until("the Secret output", async () => (await secretValue()) === s3Server?.secretAccessKey, {
        timeoutMs,
        intervalMs: 250,
      });
      // Rotate the workload keys and rename the endpoint: both outputs are now stale.
      await apply(keys("rotated-workload-secret"));
      const renamed = s3Server.endpoint.replace("127.0.0.1", "localhost");
      await apply(providerConfig(renamed));
      await until(
        "both outputs updated",
        async () => {
          const cm = (await getOther(CONFIG_MAP_RESOURCE, "data-s3")) as
            { data?: Record<string, string> } | undefined;
          return cm?.data?.endpoint === renamed && (await secretValue()) === "rotated-workload-secret";
        },
        { timeoutMs, intervalMs: 250 },
      );
      await admin.delete(BUCKET_RESOURCE, ns, "data");
      await until("Bucket gone", async () => (await getOther(BUCKET_RESOURCE, "data")) === undefined, {
        timeoutMs,
        intervalMs: 250,
      });
    },
    async clusterProviderConfig(timeoutMs) {
      const cpc = resourceType("ClusterProviderConfig");
      const name = clusterConfigName;
      await admin.patch(
        cpc,
        undefined,
        name,
        {
          apiVersion: "clouddigit.ai/v1alpha1",
          kind: "ClusterProviderConfig",
          metadata: { name },
          spec: {
            region: "bd-dha-1",
            project: SAMPLE_PROJECT,
            endpoints: { api: sandbox.url },
            credentials: {
              source: "APIToken",
              apiToken: { secretRef: { name: "clouddigit-credentials", namespace: ns, key: "token" } },
            },
          },
        },
        "apply",
        { fieldManager: "clouddigit-deploy-tests", force: true },
      );
      await until(
        "ClusterProviderConfig status written by the operator",
        async () => {
          const obj = (await getOther(cpc, name, undefined)) as
            { status?: { conditions?: unknown[] } } | undefined;
          return (obj?.status?.conditions?.length ?? 0) > 0;
        },
        { timeoutMs, intervalMs: 250 },
      );
      await admin.delete(cpc, undefined, name);
    },
    async pauseTwice(kind, name, timeoutMs) {
      const synced = async () =>
        (await get(kind, name))?.status?.conditions?.find((c) => c.type === "Synced")?.reason;
      for (const paused of ["true", null, "true", null]) {
        await admin.patch(
          resourceType(kind),
          ns,
          name,
          { metadata: { annotations: { "clouddigit.ai/paused": paused } } },
          "merge",
        );
        const want = paused ? "ReconcilePaused" : "ReconcileSuccess";
        await until(`${kind} ${name} Synced reason ${want}`, async () => (await synced()) === want, {
          timeoutMs,
          intervalMs: 100,
        });
      }
    },
    async waitReady(timeoutMs) {
      await until(
        "every sample Ready",
        async () => (await Promise.all(SAMPLES.map(([k, n]) => get(k, n)))).every(isReady),
        { timeoutMs, intervalMs: 250 },
      );
    },
    async deleteSamples(timeoutMs) {
      for (const [kind, name] of SAMPLES) {
        try {
          await admin.delete(resourceType(kind), ns, name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      await until(
        "every sample gone",
        async () => (await Promise.all(SAMPLES.map(([k, n]) => get(k, n)))).every((o) => o === undefined),
        { timeoutMs, intervalMs: 250 },
      );
    },
    abort() {
      aborted = true;
    },
    async stop() {
      await operator.stop();
      await sandbox.close();
      await s3Server?.stop();
      try {
        await admin.delete(resourceType("ClusterProviderConfig"), undefined, clusterConfigName);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await deleteAsAdmin(rbac.filter((o) => o.kind !== "ServiceAccount"));
    },
  };
}

/** "verb group/resource" for an audit entry, the shape permissions are compared in. */
export function permissionOf(e: Pick<AuditEntry, "verb" | "apiGroup" | "resource">): string {
  return `${e.verb} ${e.apiGroup}/${e.resource}`;
}

/**
 * Every step at once, for the minimality test: the samples (converge, pause twice, delete), the
 * Bucket with outputs, and the ClusterProviderConfig, so each permission is exercised early.
 */
export async function exerciseAll(scenario: Scenario): Promise<void> {
  await Promise.all([
    (async () => {
      await scenario.applySamples();
      await scenario.applyOidcProbe();
      await scenario.waitReady(90_000);
      await scenario.pauseTwice("VPC", "web", 30_000);
      await scenario.deleteSamples(90_000);
    })(),
    scenario.bucketLifecycle(60_000),
    scenario.clusterProviderConfig(30_000),
  ]);
}

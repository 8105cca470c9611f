// Two Kubernetes control planes against one cloud (the sandbox and a real S3 server behind a
// counting proxy): the shared test cluster and a fresh one (its own etcd), each with an operator
// started in-process with an explicit installation ID, and the same manifests for both.
import type { KubeConfig } from "@kubernetes/client-node";
import * as k8s from "@kubernetes/client-node";
import type { ManagedKind, ManagedObject } from "../../../src/controllers/generic/actuator.ts";
import { resourceType } from "../../../src/controllers/kube/resources.ts";
import { configSchema, startOperator } from "../../../src/main.ts";
import { isNotFound, KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import type { Sandbox } from "../../../sandbox/server.ts";
import type { CountingProxy } from "../bucket/support.ts";
import { installCrds, namespacedObjects, sampleObjects } from "../controllers/manifests.ts";
import { waitUntil } from "../../support/process.ts";
import type { S3Server } from "../../support/s3-server.ts";

export const TOKEN = "cd_sandbox_demo_token";
export const PROJECT = "demo";

/** One cluster's view: its client, the namespace (same name on every cluster) and its operator. */
export interface ClusterSide {
  client: KubeClient;
  namespace: string;
  operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  apply(obj: KubeObject): Promise<KubeObject>;
  get(kind: ManagedKind, name: string): Promise<ManagedObject | undefined>;
  condition(
    kind: ManagedKind,
    name: string,
    type: string,
  ): Promise<{ status: string; reason: string } | undefined>;
  startOperator(installationID: string, resyncMs: number): Promise<void>;
  stopOperator(): Promise<void>;
}

/** Creates `namespace` (if missing) on the cluster, installs the CRDs, and returns a handle. */
export async function clusterSide(kc: KubeConfig, namespace: string): Promise<ClusterSide> {
  const client = new KubeClient(kc);
  await installCrds(client);
  try {
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  const side: ClusterSide = {
    client,
    namespace,
    operator: undefined,
    ...namespacedObjects(client, namespace, "identity-tests"),
    async startOperator(installationID, resyncMs) {
      const config = {
        ...configSchema.parse({ logLevel: process.env.OPERATOR_LOG_LEVEL ?? "warn" }),
        namespaces: [namespace],
        healthAddress: { host: "127.0.0.1", port: 0 },
        pollInterval: 250,
        resync: resyncMs,
        installationID,
      };
      side.operator = await startOperator(config, kc, { stalledRetryMs: resyncMs });
    },
    async stopOperator() {
      await side.operator?.stop();
      side.operator = undefined;
    },
  };
  return side;
}

/** The managed objects of a manifest list (not the Secrets and the ProviderConfig). */
export function managed(objects: readonly KubeObject[]): Array<{ kind: ManagedKind; name: string }> {
  return objects
    .filter((o) => o.kind !== "Secret" && o.kind !== "ProviderConfig")
    .map((o) => ({ kind: o.kind as ManagedKind, name: o.metadata.name ?? "" }));
}

function obj(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "clouddigit.ai/v1alpha1", kind, metadata: { name }, spec };
}

const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0PBHc//VF37fDASoFRyEZwYWF2HUm51ZBsrNKQrc9h";

/**
 * The samples (their ProviderConfig given the S3 endpoint and keys too) plus `groups` groups of
 * mixed objects: per group a VPC, a Subnet in it, an SSH key and a Volume, and for the first
 * `withVm` groups a VM in the subnet with the key and a Bucket.
 */
export function manifests(
  sandbox: Sandbox,
  s3: { server: S3Server; proxy: CountingProxy },
  shape: {
    groups: number;
    withVm: number;
    /** Bucket names are global: prefixed (with the namespace) so that two tests never share one. */
    prefix: string;
    /** VPC g gets 10.(cidrBase+g).0.0/16. */
    cidrBase: number;
  },
): KubeObject[] {
  const { groups, withVm, prefix, cidrBase } = shape;
  const out: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s3-keys" },
      stringData: { accessKeyID: s3.server.accessKeyId, secretAccessKey: s3.server.secretAccessKey },
    },
  ];
  for (const sample of sampleObjects(sandbox.url)) {
    if (sample.kind === "ProviderConfig") {
      const spec = sample.spec as { endpoints: Record<string, string>; credentials: Record<string, unknown> };
      out.push({
        ...sample,
        spec: {
          ...spec,
          endpoints: { ...spec.endpoints, s3: s3.proxy.url },
          credentials: { ...spec.credentials, s3: { secretRef: { name: "s3-keys" } } },
        },
      });
    } else out.push(sample);
  }
  for (let g = 0; g < groups; g++) {
    out.push(obj("VPC", `net-${g}`, { cidr: `10.${cidrBase + g}.0.0/16` }));
    out.push(
      obj("Subnet", `sub-${g}`, {
        vpcRef: { name: `net-${g}` },
        cidr: `10.${cidrBase + g}.1.0/24`,
        zone: "bd-dha-1a",
      }),
    );
    out.push(obj("SSHKey", `key-${g}`, { publicKey: `${PUBLIC_KEY} key-${g}@example.com` }));
    out.push(obj("Volume", `vol-${g}`, { sizeGiB: 10, type: "nvme", zone: "bd-dha-1a" }));
    if (g < withVm) {
      out.push(
        obj("VM", `vm-${g}`, {
          flavor: "std-2x8",
          image: "ubuntu-24.04",
          subnetRef: { name: `sub-${g}` },
          sshKeyRefs: [{ name: `key-${g}` }],
        }),
      );
      out.push(
        obj("Bucket", `bkt-${g}`, {
          bucketName: `${prefix}-bkt-${g}`,
          versioning: "Enabled",
          tags: { team: `t${g}` },
        }),
      );
    }
  }
  return out;
}

/** Applies every object, then waits until each managed one has Ready=True; returns kind/name → ID. */
export async function applyAndConverge(
  side: ClusterSide,
  objects: readonly KubeObject[],
  timeoutMs = 240_000,
): Promise<Map<string, string>> {
  for (const o of objects) await side.apply(o);
  const ids = new Map<string, string>();
  const pending = managed(objects);
  await waitUntil(
    `${pending.length} objects Ready`,
    async () => {
      for (const { kind, name } of pending) {
        const key = `${kind}/${name}`;
        if (ids.has(key)) continue;
        const o = await side.get(kind, name);
        const ready = o?.status?.conditions?.find((c) => c.type === "Ready");
        if (ready?.status !== "True" || !o?.status?.id) return false;
        ids.set(key, o.status.id);
      }
      return true;
    },
    { timeoutMs, intervalMs: 500 },
  );
  return ids;
}

/** Removes the finalizers of the managed objects (their operator is gone) and deletes the namespace. */
export async function abandonNamespace(side: ClusterSide, objects: readonly KubeObject[]): Promise<void> {
  for (const { kind, name } of managed(objects)) {
    try {
      await side.client.patch(
        resourceType(kind),
        side.namespace,
        name,
        { metadata: { finalizers: null } },
        "merge",
      );
      await side.client.delete(resourceType(kind), side.namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Counts of cloud calls as "METHOD template" since `since`, most first. */
export function callTable(sandbox: Sandbox, since: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const c of sandbox.calls({ since })) {
    const key = `${c.method} ${c.template}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

export function s3Table(proxy: CountingProxy, fromIndex: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of proxy.requests.slice(fromIndex)) {
    const key = `${r.method} ${r.path === "/" ? "/" : "/{bucket}"}${r.query.length > 0 ? `?${r.query.join("&")}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

// Connection details for workloads, as a ConfigMap and a Secret named by the user and owned by the
// managed object (ownerReferences), so Kubernetes garbage-collects them with it. An existing object
// we do not own is never overwritten. Buckets publish the endpoint, region, bucket name and
// addressing style, and workload keys when the ProviderConfig names them.
import type { S3StaticKeys } from "../../client/s3.ts";
import { API_VERSION } from "../../crds/common.ts";
import { isNotFound, type KubeClient } from "../../runtime/kube-client.ts";
import type { KubeObject, ResourceType } from "../../runtime/resource.ts";
import type { OutputOwner, OutputWrite, OutputWriter } from "../generic/ports.ts";
import { CONFIG_MAP_RESOURCE, SECRET_RESOURCE } from "./resources.ts";

/** Label on outputs naming the object that wrote them (buckets: the only kind with outputs so far). */
export const OUTPUT_BUCKET_LABEL = "clouddigit.ai/bucket";

/** Keys of the ConfigMap output. */
export function configMapData(details: { endpoint: string; region: string; bucketName: string }) {
  return {
    endpoint: details.endpoint,
    region: details.region,
    bucketName: details.bucketName,
    // The S3 client and Cloud Digit's documented examples use path style; virtual-host style also works.
    addressingStyle: "path",
  };
}

/** Keys of the Secret output: the names AWS SDKs read from the environment (envFrom). */
export function secretData(keys: S3StaticKeys): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey };
}

/** Reads before writing: an output that already holds the wanted data costs one GET. */
export class KubeOutputWriter implements OutputWriter {
  constructor(private readonly client: KubeClient) {}

  ensureConfigMap(owner: OutputOwner, name: string, data: Record<string, string>): Promise<OutputWrite> {
    return this.ensure(CONFIG_MAP_RESOURCE, owner, name, data);
  }

  ensureSecret(owner: OutputOwner, name: string, data: Record<string, string>): Promise<OutputWrite> {
    const encoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")]),
    );
    return this.ensure(SECRET_RESOURCE, owner, name, encoded);
  }

  private async ensure(
    rt: ResourceType,
    owner: OutputOwner,
    name: string,
    data: Record<string, string>,
  ): Promise<OutputWrite> {
    let existing: (KubeObject & { data?: Record<string, string> }) | undefined;
    try {
      existing = await this.client.get(rt, owner.namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      await this.client.create(rt, {
        metadata: {
          name,
          namespace: owner.namespace,
          labels: { [OUTPUT_BUCKET_LABEL]: owner.name },
          ownerReferences: [ownerReference(owner)],
        },
        ...(rt.kind === "Secret" ? { type: "Opaque" } : {}),
        data,
      });
      return "created";
    }
    const owned = (existing.metadata.ownerReferences ?? []).some((r) => r.uid === owner.uid);
    if (!owned) {
      return {
        conflict: `${rt.kind} "${name}" already exists and is not owned by this ${owner.kind}; delete it or choose another name in spec.outputs`,
      };
    }
    const current = existing.data ?? {};
    if (Object.entries(data).every(([k, v]) => current[k] === v)) return "unchanged";
    await this.client.patch(
      rt,
      owner.namespace,
      name,
      { metadata: { resourceVersion: existing.metadata.resourceVersion }, data },
      "merge",
    );
    return "updated";
  }
}

function ownerReference(owner: OutputOwner): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true };
}

// S3 access for Buckets from a ProviderConfig: the S3 endpoint and region, the operator's S3 keys
// (credentials.s3.secretRef) and, for outputs, the workload keys (credentials.workloadS3SecretRef).
// The REST resolver (provider-config.ts) builds REST clients only, so this is its S3 sibling; it
// reuses the same config lookup and endpoint defaults.
import type { Logger } from "pino";
import type { ClientMetrics } from "../client/metrics.ts";
import { BucketApi, createS3Client, type S3StaticKeys } from "../client/s3.ts";
import type { ClusterProviderConfig, ProviderConfig } from "../crds/provider-config.ts";
import type { ManagedObject, SecretReader } from "./actuator.ts";
import type { BucketS3 } from "./bucket.ts";
import { effectiveEndpoints } from "./provider-config.ts";

export type FoundConfig =
  | { kind: "ProviderConfig"; config: ProviderConfig }
  | { kind: "ClusterProviderConfig"; config: ClusterProviderConfig };

export interface S3Target {
  s3: BucketS3;
  /** S3 endpoint URL workloads should use (the config's, after defaults). */
  endpoint: string;
  region: string;
  /** Reads the keys for workloads; undefined when the config has no workloadS3SecretRef. */
  workloadKeys: (() => Promise<S3StaticKeys>) | undefined;
  /** Changes whenever the config changes. */
  fingerprint: string;
}

export type S3Resolution = ({ ok: true } & S3Target) | { ok: false; reason: string; message: string };

export interface BucketProviderResolver {
  resolve(object: ManagedObject): Promise<S3Resolution>;
  /** Cheap, cache-only fingerprint of the config the object names. */
  peekFingerprint(object: ManagedObject): string;
}

export interface S3ProviderResolverOptions {
  /** The config an object names (ProviderConfigResolver.find). */
  find: (object: ManagedObject) => FoundConfig | undefined;
  secrets: SecretReader;
  metrics?: ClientMetrics | undefined;
  logger?: Logger | undefined;
  endpointDomain?: string | undefined;
  /** How long S3 keys read from a Secret are used before the Secret is read again (rotation). */
  keysTtlMs?: number;
  now?: () => number;
}

interface SecretKeysRef {
  name: string;
  namespace?: string;
  accessKeyIDKey: string;
  secretAccessKeyKey: string;
}

interface Cached {
  version: string;
  target: S3Target;
  buckets: BucketApi;
}

export class S3ProviderResolver implements BucketProviderResolver {
  private readonly cache = new Map<string, Cached>();
  private readonly now: () => number;

  constructor(private readonly opts: S3ProviderResolverOptions) {
    this.now = opts.now ?? Date.now;
  }

  peekFingerprint(object: ManagedObject): string {
    const found = this.opts.find(object);
    if (!found) return `missing:${object.spec.providerConfigRef?.name ?? "default"}`;
    return `${found.kind}:${found.config.metadata.uid ?? ""}:${found.config.metadata.resourceVersion ?? ""}`;
  }

  async resolve(object: ManagedObject): Promise<S3Resolution> {
    const found = this.opts.find(object);
    const ref = object.spec.providerConfigRef ?? { name: "default" };
    if (!found) {
      return {
        ok: false,
        reason: "ProviderConfigNotFound",
        message: `no ProviderConfig "${ref.name}" in namespace "${object.metadata.namespace ?? ""}" and no ClusterProviderConfig "${ref.name}"; create one with credentials.s3`,
      };
    }
    const key = `${found.kind}/${found.config.metadata.namespace ?? ""}/${found.config.metadata.name ?? ""}`;
    const version = this.peekFingerprint(object);
    const cached = this.cache.get(key);
    if (cached?.version === version) return { ok: true, ...cached.target };
    try {
      const built = await this.build(found, version);
      cached?.buckets.s3.destroy();
      this.cache.set(key, built);
      return { ok: true, ...built.target };
    } catch (err) {
      return {
        ok: false,
        reason: "ProviderConfigInvalid",
        message: `${found.kind} "${found.config.metadata.name ?? ""}": ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  /** Closes the S3 clients (tests, shutdown). */
  close(): void {
    for (const cached of this.cache.values()) cached.buckets.s3.destroy();
    this.cache.clear();
  }

  private async build(found: FoundConfig, version: string): Promise<Cached> {
    const spec = found.config.spec;
    const s3Creds = spec.credentials.s3;
    if (!s3Creds)
      throw new Error("has no credentials.s3; Buckets need S3 credentials (credentials.s3.secretRef)");
    if (!s3Creds.secretRef) {
      throw new Error(
        "credentials.s3.webIdentity is not supported for Buckets yet; use credentials.s3.secretRef (static S3 keys)",
      );
    }
    const endpoint = effectiveEndpoints(spec, this.opts.endpointDomain).s3;
    const operatorKeys = this.keyReader(found, s3Creds.secretRef, "credentials.s3.secretRef");
    // Read once now, so a missing Secret is reported on the object instead of on the first S3 call.
    await operatorKeys();
    const client = createS3Client({
      endpoint,
      region: spec.region,
      credentials: operatorKeys,
      ...(spec.caBundle ? { caPem: spec.caBundle } : {}),
    });
    const buckets = new BucketApi(client, {
      ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
    });
    const workloadRef = spec.credentials.workloadS3SecretRef;
    return {
      version,
      buckets,
      target: {
        s3: buckets,
        endpoint,
        region: spec.region,
        workloadKeys: workloadRef
          ? this.keyReader(found, workloadRef, "credentials.workloadS3SecretRef")
          : undefined,
        fingerprint: version,
      },
    };
  }

  /** Reads a key pair from a Secret, re-reading after keysTtlMs so rotation needs no restart. */
  private keyReader(found: FoundConfig, ref: SecretKeysRef, field: string): () => Promise<S3StaticKeys> {
    // A namespaced config reads only its own namespace; a cluster config names one.
    const namespace =
      found.kind === "ProviderConfig" ? (found.config.metadata.namespace ?? "") : (ref.namespace ?? "");
    const ttl = this.opts.keysTtlMs ?? 60_000;
    let cached: { keys: S3StaticKeys; at: number } | undefined;
    return async () => {
      if (cached && this.now() - cached.at < ttl) return cached.keys;
      const [accessKeyId, secretAccessKey] = await Promise.all([
        this.opts.secrets.read(namespace, ref.name, ref.accessKeyIDKey),
        this.opts.secrets.read(namespace, ref.name, ref.secretAccessKeyKey),
      ]);
      if (!accessKeyId || !secretAccessKey) {
        throw new Error(
          `${field}: Secret "${namespace}/${ref.name}" does not exist or lacks the keys "${ref.accessKeyIDKey}" and "${ref.secretAccessKeyKey}"`,
        );
      }
      cached = {
        keys: { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim() },
        at: this.now(),
      };
      return cached.keys;
    };
  }
}

// ProviderConfig resolution, for every kind: which config an object names, which endpoints and
// credentials it implies, and the clients built from them through the ClientFactory: the REST
// client, and on first need the S3 client (static keys from a Secret, or temporary keys from the
// OIDC token by web identity). One cache, per config version, for both. A namespaced
// ProviderConfig can only reach Secrets and ServiceAccounts of its own namespace (its schema has
// no namespace fields), and never the operator's own identity; a ClusterProviderConfig may name
// any namespace.
import { createHash } from "node:crypto";
import type { Credential } from "../../client/credentials/credential.ts";
import type { OidcCredential } from "../../client/credentials/oidc.ts";
import type { TokenRequestApi } from "../../client/credentials/subject-token.ts";
import { defaultEndpoints, type ClientFactory } from "../../client/factory.ts";
import { webIdentityCredentials, type BucketApi, type S3StaticKeys } from "../../client/s3.ts";
import {
  DEFAULT_OPERATOR_TOKEN_PATH,
  DELETIONS_STALLED_CONDITION,
  type ClusterProviderConfig,
  type ProviderConfig,
} from "../../crds/provider-config.ts";
import { NotConnected, type ManagedObject, type SecretReader } from "../generic/actuator.ts";
import type { ProviderResolution, ProviderResolver } from "../generic/ports.ts";
import type { CloudApi } from "../rest/cloud-api.ts";

/** S3 access for Buckets: the client, the endpoint and region workloads use, and workload keys. */
export interface S3Target {
  s3: BucketApi;
  /** S3 endpoint URL workloads should use (the config's, after defaults). */
  endpoint: string;
  region: string;
  /** Reads the keys for workloads; undefined when the config has no workloadS3SecretRef. */
  workloadKeys: (() => Promise<S3StaticKeys>) | undefined;
}

/** What a resolved ProviderConfig provides; each kind's actuator connects to the part it needs. */
export interface Provider {
  /** The REST client for the config's credential. */
  rest: CloudApi;
  /** The S3 client, built on first use; throws NotConnected (with what to fix) when it cannot be. */
  s3(): Promise<S3Target>;
}

/** Cache-backed lookups of the two config kinds (informers in the operator, maps in tests). */
export interface ProviderConfigSource {
  namespaced(namespace: string, name: string): ProviderConfig | undefined;
  cluster(name: string): ClusterProviderConfig | undefined;
}

export interface ProviderConfigResolverOptions {
  configs: ProviderConfigSource;
  secrets: SecretReader;
  factory: Pick<ClientFactory, "create" | "createS3" | "apiTokenCredential" | "oidcCredential">;
  /** For per-tenant OIDC (TokenRequest); without it such configs report a clear error. */
  tokenRequests?: TokenRequestApi;
  /** Domain of the default endpoints: clouddigit.ai, or mymine.space before the DNS cutover. */
  endpointDomain?: string;
  /** How long S3 keys read from a Secret are used before the Secret is read again (rotation). */
  keysTtlMs?: number;
  now?: () => number;
}

export type AnyConfig =
  | { kind: "ProviderConfig"; config: ProviderConfig }
  | { kind: "ClusterProviderConfig"; config: ClusterProviderConfig };

interface Cached {
  version: string;
  provider: Provider;
  /** The S3 client once built, to close it when the config changes. */
  buckets?: BucketApi;
}

interface SecretKeysRef {
  name: string;
  namespace?: string;
  accessKeyIDKey: string;
  secretAccessKeyKey: string;
}

/** The endpoints a config resolves to after defaults and overrides. */
export function effectiveEndpoints(
  spec: {
    region: string;
    endpoints?:
      { api?: string | undefined; s3?: string | undefined; identity?: string | undefined } | undefined;
  },
  domain = "clouddigit.ai",
): { api: string; s3: string; identity: string } {
  const defaults = defaultEndpoints(spec.region, domain);
  return {
    api: spec.endpoints?.api ?? defaults.api,
    s3: spec.endpoints?.s3 ?? defaults.s3,
    identity: spec.endpoints?.identity ?? defaults.identity,
  };
}

export class ProviderConfigResolver implements ProviderResolver<Provider> {
  private readonly cache = new Map<string, Cached>();
  /**
   * Builds in flight, per config: reconciles that resolve one config at once (every worker of
   * every kind, after a start or a config change) share one client, so they share its identity
   * index, its collection observer and its token exchange.
   */
  private readonly building = new Map<string, { version: string; entry: Promise<Cached> }>();

  constructor(private readonly opts: ProviderConfigResolverOptions) {}

  /** Which config an object uses: a ProviderConfig in its namespace, else the ClusterProviderConfig. */
  find(object: ManagedObject): AnyConfig | undefined {
    const ref = object.spec.providerConfigRef ?? { name: "default" };
    const namespace = object.metadata.namespace ?? "";
    if (ref.kind !== "ClusterProviderConfig") {
      const config = this.opts.configs.namespaced(namespace, ref.name);
      if (config) return { kind: "ProviderConfig", config };
      if (ref.kind === "ProviderConfig") return undefined;
    }
    const config = this.opts.configs.cluster(ref.name);
    return config ? { kind: "ClusterProviderConfig", config } : undefined;
  }

  peekFingerprint(object: ManagedObject): string {
    const found = this.find(object);
    if (!found) return `missing:${object.spec.providerConfigRef?.name ?? "default"}`;
    return `${found.kind}:${configVersion(found)}`;
  }

  async resolve(object: ManagedObject): Promise<ProviderResolution<Provider>> {
    const found = this.find(object);
    const ref = object.spec.providerConfigRef ?? { name: "default" };
    if (!found) {
      const where =
        ref.kind === "ClusterProviderConfig"
          ? `ClusterProviderConfig "${ref.name}"`
          : ref.kind === "ProviderConfig"
            ? `ProviderConfig "${ref.name}" in namespace "${object.metadata.namespace ?? ""}"`
            : `ProviderConfig "${ref.name}" in namespace "${object.metadata.namespace ?? ""}" or ClusterProviderConfig "${ref.name}"`;
      return {
        ok: false,
        reason: "ProviderConfigNotFound",
        message: `${where} not found; create it (see config/samples)`,
      };
    }
    return this.resolveConfig(found);
  }

  /** The clients of one config (cached per config version), or why there are none. */
  async resolveConfig(found: AnyConfig): Promise<ProviderResolution<Provider>> {
    const key = configKey(found);
    const version = configVersion(found);
    const cached = this.cache.get(key);
    if (cached && cached.version === version)
      return { ok: true, provider: cached.provider, fingerprint: `${key}@${version}`, scope: scopeOf(found) };
    try {
      let inFlight = this.building.get(key);
      if (inFlight?.version !== version) {
        const entry = this.build(found, version).then((built) => {
          // A build overtaken by a newer version of the config is handed to its waiters only.
          if (this.building.get(key)?.entry !== entry) return built;
          const previous = this.cache.get(key);
          previous?.buckets?.s3.destroy();
          this.cache.set(key, built);
          return built;
        });
        inFlight = { version, entry };
        this.building.set(key, inFlight);
        const settled = (): void => {
          if (this.building.get(key) === inFlight) this.building.delete(key);
        };
        void entry.then(settled, settled);
      }
      const entry = await inFlight.entry;
      return { ok: true, provider: entry.provider, fingerprint: `${key}@${version}`, scope: scopeOf(found) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        reason: "ProviderConfigInvalid",
        message: `${found.kind} "${found.config.metadata.name ?? ""}": ${message}`,
      };
    }
  }

  /** Closes the S3 clients (shutdown, tests). */
  close(): void {
    for (const cached of this.cache.values()) cached.buckets?.s3.destroy();
    this.cache.clear();
  }

  get endpointDomain(): string | undefined {
    return this.opts.endpointDomain;
  }

  private async build(found: AnyConfig, version: string): Promise<Cached> {
    const spec = found.config.spec;
    const endpoints = effectiveEndpoints(spec, this.opts.endpointDomain);
    const credential = await this.credential(found, endpoints.identity);
    const client = this.opts.factory.create({
      region: spec.region,
      project: spec.project,
      endpoints,
      ...(spec.caBundle ? { caPem: spec.caBundle } : {}),
      credential,
    });
    const entry: Cached = { version, provider: { rest: client.api, s3: () => s3() } };
    let building: Promise<S3Target> | undefined;
    const s3 = (): Promise<S3Target> => {
      building ??= this.buildS3(found, endpoints.s3, credential).then(
        (target) => {
          entry.buckets = target.s3;
          return target;
        },
        (err: unknown) => {
          // Not cached: a Secret created later is picked up by the next try.
          building = undefined;
          const message = err instanceof Error ? err.message : String(err);
          throw new NotConnected(`${found.kind} "${found.config.metadata.name ?? ""}": ${message}`);
        },
      );
      return building;
    };
    return entry;
  }

  private async buildS3(found: AnyConfig, endpoint: string, credential: Credential): Promise<S3Target> {
    const spec = found.config.spec;
    const s3Creds = spec.credentials.s3;
    if (!s3Creds) {
      throw new Error(
        "has no credentials.s3; Buckets need S3 credentials (credentials.s3.secretRef, or credentials.s3.webIdentity with OIDC)",
      );
    }
    let s3Credentials;
    if (s3Creds.secretRef) {
      const operatorKeys = this.keyReader(found, s3Creds.secretRef, "credentials.s3.secretRef");
      // Read once now, so a missing Secret is reported on the object instead of on the first S3 call.
      await operatorKeys();
      s3Credentials = operatorKeys;
    } else {
      if (credential.kind !== "oidc")
        throw new Error("credentials.s3.webIdentity needs credentials.source OIDC");
      const oidc = credential as OidcCredential;
      // Assumed: the S3 service answers STS AssumeRoleWithWebIdentity on its own endpoint.
      s3Credentials = webIdentityCredentials({
        stsEndpoint: endpoint,
        region: spec.region,
        roleArn: s3Creds.roleARN ?? "",
        sessionName: `clouddigit-operator-${found.config.metadata.name ?? ""}`.slice(0, 64),
        webIdentityToken: () => oidc.accessToken(),
        ...(spec.caBundle ? { caPem: spec.caBundle } : {}),
      });
    }
    const buckets = this.opts.factory.createS3({
      region: spec.region,
      endpoints: { s3: endpoint },
      ...(spec.caBundle ? { caPem: spec.caBundle } : {}),
      s3Credentials,
    });
    const workloadRef = spec.credentials.workloadS3SecretRef;
    return {
      s3: buckets,
      endpoint,
      region: spec.region,
      workloadKeys: workloadRef
        ? this.keyReader(found, workloadRef, "credentials.workloadS3SecretRef")
        : undefined,
    };
  }

  /** Reads a key pair from a Secret, re-reading after keysTtlMs so rotation needs no restart. */
  private keyReader(found: AnyConfig, ref: SecretKeysRef, field: string): () => Promise<S3StaticKeys> {
    // A namespaced config reads only its own namespace; a cluster config names one.
    const namespace =
      found.kind === "ProviderConfig" ? (found.config.metadata.namespace ?? "") : (ref.namespace ?? "");
    const ttl = this.opts.keysTtlMs ?? 60_000;
    const now = this.opts.now ?? Date.now;
    let cached: { keys: S3StaticKeys; at: number } | undefined;
    return async () => {
      if (cached && now() - cached.at < ttl) return cached.keys;
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
        at: now(),
      };
      return cached.keys;
    };
  }

  private async credential(found: AnyConfig, identity: string): Promise<Credential> {
    const creds = found.config.spec.credentials;
    const ownNamespace = found.config.metadata.namespace ?? "";
    if (creds.source === "APIToken") {
      const ref = creds.apiToken?.secretRef;
      if (!ref) throw new Error("credentials.apiToken.secretRef is missing");
      // A namespaced config reads only its own namespace; a cluster config names one.
      const namespace =
        found.kind === "ProviderConfig" ? ownNamespace : (ref as { namespace: string }).namespace;
      const read = async (): Promise<string> => {
        const token = await this.opts.secrets.read(namespace, ref.name, ref.key);
        if (token === undefined || token.trim() === "") {
          throw new Error(
            `Secret "${namespace}/${ref.name}" does not exist or has no key "${ref.key}" holding the API token`,
          );
        }
        return token;
      };
      return this.opts.factory.apiTokenCredential(await read(), read);
    }
    const oidc = creds.oidc;
    if (!oidc) throw new Error("credentials.oidc is missing");
    const grant = oidc.grant === "TokenExchange" ? "token_exchange" : "client_credentials";
    const common = {
      issuerUrl: identity,
      clientId: oidc.clientID,
      grant,
      ...(oidc.audience ? { audience: oidc.audience } : {}),
      ...(found.config.spec.caBundle ? { caPem: found.config.spec.caBundle } : {}),
    } as const;
    let serviceAccount: { namespace: string; name: string } | undefined;
    if (found.kind === "ProviderConfig") {
      serviceAccount = {
        namespace: ownNamespace,
        name: found.config.spec.credentials.oidc?.serviceAccountName ?? "",
      };
    } else {
      const c = found.config.spec.credentials.oidc;
      if (c?.serviceAccountName && c.serviceAccountNamespace) {
        serviceAccount = { namespace: c.serviceAccountNamespace, name: c.serviceAccountName };
      } else {
        return this.opts.factory.oidcCredential({
          ...common,
          subject: { tokenFile: c?.tokenPath ?? DEFAULT_OPERATOR_TOKEN_PATH },
        });
      }
    }
    if (!this.opts.tokenRequests)
      throw new Error("per-ServiceAccount OIDC needs the operator's Kubernetes client");
    return this.opts.factory.oidcCredential({
      ...common,
      subject: { serviceAccount, api: this.opts.tokenRequests },
    });
  }
}

function configKey(found: AnyConfig): string {
  return `${found.kind}/${found.config.metadata.namespace ?? ""}/${found.config.metadata.name ?? ""}`;
}

/**
 * What makes a config's clients (and every decision of the objects using it) current: its spec
 * and what its checks said. A status write that reports a fixed Secret changes it, so the clients
 * are rebuilt and the objects re-run; the DeletionsStalled report, which only informs people,
 * does not, so a teardown that stalls does not re-run every object using the config.
 */
function configVersion(found: AnyConfig): string {
  // Every reconcile asks (its memo fingerprint): hash each resourceVersion of a config once.
  const seen = `${found.config.metadata.uid ?? ""}:${found.config.metadata.resourceVersion ?? ""}`;
  const known = versionsSeen.get(seen);
  if (known !== undefined) return known;
  const version = contentVersion(found);
  if (versionsSeen.size >= 1_000) versionsSeen.clear();
  versionsSeen.set(seen, version);
  return version;
}

const versionsSeen = new Map<string, string>();

function contentVersion(found: AnyConfig): string {
  const { metadata, spec, status } = found.config;
  const checks = (status?.conditions ?? [])
    .filter((c) => c.type !== DELETIONS_STALLED_CONDITION)
    .map((c) => [c.type, c.status, c.reason, c.message]);
  return `${metadata.uid ?? ""}:${metadata.generation ?? ""}:${createHash("sha256")
    .update(JSON.stringify([spec, checks]))
    .digest("base64url")
    .slice(0, 16)}`;
}

/** `<project>@<region>`: where the resources made with a config live. */
export function scopeOf(found: AnyConfig): string {
  return `${found.config.spec.project}@${found.config.spec.region}`;
}

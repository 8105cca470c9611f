// ProviderConfig resolution: which config an object names, which endpoints and credentials it
// implies, and a client built from them. A namespaced ProviderConfig can only reach Secrets and
// ServiceAccounts of its own namespace (its schema has no namespace fields), and never the
// operator's own identity; a ClusterProviderConfig may name any namespace.
import { defaultEndpoints, type ClientFactory } from "../client/factory.ts";
import type { Credential } from "../client/credentials/credential.ts";
import type { TokenRequestApi } from "../client/credentials/subject-token.ts";
import {
  DEFAULT_OPERATOR_TOKEN_PATH,
  type ClusterProviderConfig,
  type ProviderConfig,
} from "../crds/provider-config.ts";
import type { ManagedObject, SecretReader } from "./actuator.ts";
import type { CloudApi } from "./cloud-api.ts";
import type { ProviderResolution, ProviderResolver } from "./ports.ts";

/** Cache-backed lookups of the two config kinds (informers in the operator, maps in tests). */
export interface ProviderConfigSource {
  namespaced(namespace: string, name: string): ProviderConfig | undefined;
  cluster(name: string): ClusterProviderConfig | undefined;
}

export interface ProviderConfigResolverOptions {
  configs: ProviderConfigSource;
  secrets: SecretReader;
  factory: Pick<ClientFactory, "create" | "apiTokenCredential" | "oidcCredential">;
  /** For per-tenant OIDC (TokenRequest); without it such configs report a clear error. */
  tokenRequests?: TokenRequestApi;
  /** Domain of the default endpoints: clouddigit.ai, or mymine.space before the DNS cutover. */
  endpointDomain?: string;
}

export type AnyConfig =
  | { kind: "ProviderConfig"; config: ProviderConfig }
  | { kind: "ClusterProviderConfig"; config: ClusterProviderConfig };

interface Cached {
  version: string;
  api: CloudApi;
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

export class ProviderConfigResolver implements ProviderResolver {
  private readonly cache = new Map<string, Cached>();

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
    return `${found.kind}:${found.config.metadata.uid ?? ""}:${found.config.metadata.resourceVersion ?? ""}`;
  }

  async resolve(object: ManagedObject): Promise<ProviderResolution> {
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

  /** A client for one config (cached per config version), or why there is none. */
  async resolveConfig(found: AnyConfig): Promise<ProviderResolution> {
    const key = `${found.kind}/${found.config.metadata.namespace ?? ""}/${found.config.metadata.name ?? ""}`;
    const version = `${found.config.metadata.uid ?? ""}:${found.config.metadata.resourceVersion ?? ""}`;
    const cached = this.cache.get(key);
    if (cached && cached.version === version)
      return { ok: true, api: cached.api, fingerprint: `${key}@${version}` };
    try {
      const api = await this.build(found);
      this.cache.set(key, { version, api });
      return { ok: true, api, fingerprint: `${key}@${version}` };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        reason: "ProviderConfigInvalid",
        message: `${found.kind} "${found.config.metadata.name ?? ""}": ${message}`,
      };
    }
  }

  get endpointDomain(): string | undefined {
    return this.opts.endpointDomain;
  }

  private async build(found: AnyConfig): Promise<CloudApi> {
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
    return client.api;
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

import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { CloudDigitApi } from "./api/cloud-digit-api.ts";
import { keepAliveClock, type Clock } from "../shared/clock.ts";
import type { Credential } from "./credentials/credential.ts";
import { OidcCredential } from "./credentials/oidc.ts";
import { StaticTokenCredential } from "./credentials/static-token.ts";
import {
  ProjectedTokenFile,
  TokenRequestSource,
  type SubjectTokenSource,
  type TokenRequestApi,
} from "./credentials/subject-token.ts";
import { silentLogger } from "../shared/logging.ts";
import { ClientMetrics } from "./metrics.ts";
import { RateLimiterRegistry, type RateLimiterOptions } from "./rate-limiter.ts";
import { RestClient } from "./rest-client.ts";
import type { RetryOptions } from "./retry.ts";
import { BucketApi, createS3Client, type S3CredentialProvider, type S3StaticKeys } from "./s3.ts";

/** Default endpoints derived from the region (the documented layout). */
export function defaultEndpoints(region: string, domain = "clouddigit.ai") {
  return {
    api: `https://api.${region}.${domain}`,
    s3: `https://s3.${region}.${domain}`,
    /** Assumed realm name; the public docs name only the host. */
    identity: `https://auth.${domain}/realms/clouddigit`,
  };
}

/** What a ProviderConfig resolves to, once its Secrets and ServiceAccount have been read. */
export interface ProviderSettings {
  region: string;
  project: string;
  endpoints?: { api?: string; s3?: string; identity?: string };
  /** Extra CA bundle (PEM) trusted for every endpoint. */
  caPem?: string;
  /** REST credential: see `apiTokenCredential` / `oidcCredential`. */
  credential: Credential;
  /** S3 keys (static from a Secret, or a provider such as `webIdentityCredentials`); no S3 client without. */
  s3Credentials?: S3StaticKeys | S3CredentialProvider;
}

export interface CloudDigitClient {
  readonly api: CloudDigitApi;
  /** Present when S3 credentials were given. */
  readonly buckets: BucketApi | undefined;
  readonly credential: Credential;
}

export interface ClientFactoryOptions {
  /** Registry for the client's metrics (the operator's /metrics registry). */
  registry?: Registry;
  logger?: Logger;
  clock?: Clock;
  rateLimit?: RateLimiterOptions;
  retry?: RetryOptions;
}

/**
 * Builds clients from provider settings. Hold one factory per process: it owns the per-credential
 * rate limiters, so every controller using the same credential shares one budget.
 */
export class ClientFactory {
  readonly limiters: RateLimiterRegistry;
  readonly metrics: ClientMetrics | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(private readonly opts: ClientFactoryOptions = {}) {
    this.clock = opts.clock ?? keepAliveClock;
    this.limiters = new RateLimiterRegistry({ clock: this.clock, ...opts.rateLimit });
    this.metrics = opts.registry ? new ClientMetrics(opts.registry) : undefined;
    this.logger = opts.logger ?? silentLogger;
  }

  create(settings: ProviderSettings): CloudDigitClient {
    const endpoints = { ...defaultEndpoints(settings.region), ...settings.endpoints };
    const rest = new RestClient({
      endpoint: endpoints.api,
      project: settings.project,
      credential: settings.credential,
      limiters: this.limiters,
      caPem: settings.caPem,
      retry: this.opts.retry,
      metrics: this.metrics,
      logger: this.logger,
      clock: this.clock,
    });
    const buckets = settings.s3Credentials
      ? this.createS3({ ...settings, s3Credentials: settings.s3Credentials })
      : undefined;
    return { api: new CloudDigitApi(rest, settings.region), buckets, credential: settings.credential };
  }

  /** An S3 client alone (Buckets need no REST client); call `s3.destroy()` when done with it. */
  createS3(
    settings: Pick<ProviderSettings, "region" | "endpoints" | "caPem"> & {
      s3Credentials: S3StaticKeys | S3CredentialProvider;
    },
  ): BucketApi {
    const endpoints = { ...defaultEndpoints(settings.region), ...settings.endpoints };
    return new BucketApi(
      createS3Client({
        endpoint: endpoints.s3,
        region: settings.region,
        credentials: settings.s3Credentials,
        caPem: settings.caPem,
      }),
      { metrics: this.metrics, logger: this.logger },
    );
  }

  /** An API-token credential (`X-Cd-Token`); call `update()` on it when the Secret changes. */
  apiTokenCredential(token: string, reload?: () => Promise<string>): StaticTokenCredential {
    return new StaticTokenCredential(token, reload ? { reload } : {});
  }

  /**
   * OIDC workload identity. `subject` is either the path of a projected service-account token
   * (the operator's own identity) or a ServiceAccount to request tokens for (per-tenant identity).
   */
  oidcCredential(opts: {
    issuerUrl: string;
    clientId: string;
    subject:
      | { tokenFile: string }
      | {
          serviceAccount: { namespace: string; name: string; expirationSeconds?: number };
          api: TokenRequestApi;
        };
    caPem?: string;
    grant?: "client_credentials" | "token_exchange";
    tokenEndpoint?: string;
    scope?: string;
    audience?: string;
  }): OidcCredential {
    const issuer = opts.issuerUrl.replace(/\/+$/, "");
    const subjectToken: SubjectTokenSource =
      "tokenFile" in opts.subject
        ? new ProjectedTokenFile(opts.subject.tokenFile)
        : new TokenRequestSource(opts.subject.api, {
            namespace: opts.subject.serviceAccount.namespace,
            serviceAccount: opts.subject.serviceAccount.name,
            audience: issuer,
            expirationSeconds: opts.subject.serviceAccount.expirationSeconds,
            clock: this.clock,
          });
    return new OidcCredential({
      issuerUrl: issuer,
      tokenEndpoint: opts.tokenEndpoint,
      clientId: opts.clientId,
      subjectToken,
      grant: opts.grant,
      scope: opts.scope,
      audience: opts.audience,
      caPem: opts.caPem,
      clock: this.clock,
      metrics: this.metrics,
      logger: this.logger,
    });
  }
}

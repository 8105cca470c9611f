import type { Logger } from "pino";
import { keepAliveClock, type Clock } from "../../shared/clock.ts";
import { CloudDigitError } from "../errors.ts";
import { silentLogger } from "../../shared/logging.ts";
import type { ClientMetrics } from "../metrics.ts";
import { UndiciTransport, validateEndpoint, type Transport } from "../transport.ts";
import type { Credential } from "./credential.ts";
import type { SubjectTokenSource } from "./subject-token.ts";

const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

export interface OidcCredentialOptions {
  /**
   * The identity realm's issuer URL, e.g. `https://auth.clouddigit.ai/realms/clouddigit`. The token
   * endpoint is derived from it (Keycloak layout) unless `tokenEndpoint` is given.
   */
  issuerUrl: string;
  tokenEndpoint?: string;
  clientId: string;
  subjectToken: SubjectTokenSource;
  /**
   * `client_credentials` (default): the service-account token is the client assertion (RFC 7523).
   * `token_exchange`: RFC 8693, the service-account token is the subject token.
   */
  grant?: "client_credentials" | "token_exchange";
  /** Requested scope; for token exchange also `audience`. */
  scope?: string;
  audience?: string;
  /** Refresh when this fraction of the access token's lifetime has passed. Default 0.8. */
  refreshAtFraction?: number;
  caPem?: string;
  transport?: Transport;
  clock?: Clock;
  metrics?: ClientMetrics;
  logger?: Logger;
}

interface CachedToken {
  accessToken: string;
  refreshAt: number;
  expiresAt: number;
}

/**
 * Workload identity: exchanges a Kubernetes service-account token at Cloud Digit IAM (Keycloak)
 * for a short-lived access token, caches it, refreshes it before expiry (one exchange at a time
 * however many callers wait), and sends it as `Authorization: Bearer`.
 */
export class OidcCredential implements Credential {
  readonly kind = "oidc" as const;
  private readonly tokenEndpoint: URL;
  private readonly clock: Clock;
  private readonly transport: Transport;
  private readonly logger: Logger;
  private cached: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;

  constructor(private readonly opts: OidcCredentialOptions) {
    const issuer = opts.issuerUrl.replace(/\/+$/, "");
    this.tokenEndpoint = validateEndpoint(
      opts.tokenEndpoint ?? `${issuer}/protocol/openid-connect/token`,
      "identity",
    );
    this.clock = opts.clock ?? keepAliveClock;
    this.transport = opts.transport ?? new UndiciTransport({ caPem: opts.caPem });
    this.logger = opts.logger ?? silentLogger;
  }

  identity(): string {
    return `oidc:${this.tokenEndpoint.href}#${this.opts.clientId}`;
  }

  async authHeaders(signal?: AbortSignal): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.accessToken(signal)}` };
  }

  invalidate(): boolean {
    this.cached = undefined;
    return true;
  }

  /** The current access token, exchanging a new one when the cached one is due for refresh. */
  async accessToken(signal?: AbortSignal): Promise<string> {
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && now < cached.refreshAt) return cached.accessToken;
    this.inflight ??= this.exchange(signal).finally(() => (this.inflight = undefined));
    try {
      return (await this.inflight).accessToken;
    } catch (err) {
      // A refresh that fails while the old token is still valid must not break every call.
      if (cached && this.clock.now() < cached.expiresAt - 1000) {
        this.logger.warn(
          { credential: this.identity(), err: (err as Error).message },
          "access-token refresh failed; using the cached token until it expires",
        );
        return cached.accessToken;
      }
      throw err;
    }
  }

  private async exchange(signal?: AbortSignal): Promise<CachedToken> {
    const started = this.clock.now();
    try {
      const subject = await this.opts.subjectToken.token(signal);
      const form = new URLSearchParams();
      if ((this.opts.grant ?? "client_credentials") === "client_credentials") {
        form.set("grant_type", "client_credentials");
        form.set("client_id", this.opts.clientId);
        form.set("client_assertion_type", JWT_BEARER_ASSERTION);
        form.set("client_assertion", subject);
      } else {
        form.set("grant_type", TOKEN_EXCHANGE_GRANT);
        form.set("client_id", this.opts.clientId);
        form.set("subject_token", subject);
        form.set("subject_token_type", JWT_TOKEN_TYPE);
        form.set("requested_token_type", ACCESS_TOKEN_TYPE);
        if (this.opts.audience) form.set("audience", this.opts.audience);
      }
      if (this.opts.scope) form.set("scope", this.opts.scope);
      let res;
      try {
        res = await this.transport.send({
          method: "POST",
          url: this.tokenEndpoint,
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: form.toString(),
          signal,
        });
      } catch (err) {
        throw new CloudDigitError({
          kind: "transient",
          operation: "identity.exchangeToken",
          cause: err,
          message: `cannot reach the identity endpoint ${this.tokenEndpoint.origin}: ${(err as Error).message}`,
        });
      }
      const body = parseJson(res.bodyText);
      if (res.status !== 200) throw this.refusal(res.status, body);
      const accessToken = typeof body.access_token === "string" ? body.access_token : undefined;
      const expiresIn = typeof body.expires_in === "number" ? body.expires_in : undefined;
      if (!accessToken || expiresIn === undefined) {
        throw new CloudDigitError({
          kind: "transient",
          operation: "identity.exchangeToken",
          message: `the identity endpoint ${this.tokenEndpoint.origin} answered without access_token/expires_in`,
        });
      }
      const lifetimeMs = expiresIn * 1000;
      const token: CachedToken = {
        accessToken,
        refreshAt: started + lifetimeMs * (this.opts.refreshAtFraction ?? 0.8),
        expiresAt: started + lifetimeMs,
      };
      this.cached = token;
      this.opts.metrics?.tokenRefresh.inc({ result: "success" });
      this.logger.debug(
        { credential: this.identity(), expiresInSeconds: expiresIn },
        "obtained an access token",
      );
      return token;
    } catch (err) {
      this.opts.metrics?.tokenRefresh.inc({ result: "failure" });
      throw err;
    }
  }

  private refusal(status: number, body: Record<string, unknown>): CloudDigitError {
    const code = typeof body.error === "string" ? body.error : undefined;
    const description = typeof body.error_description === "string" ? body.error_description : undefined;
    const transient = status >= 500 || status === 429;
    const what = `${code ?? `HTTP ${status}`}${description ? `: ${description}` : ""}`;
    return new CloudDigitError({
      kind: transient ? "transient" : "unauthenticated",
      code,
      status,
      operation: "identity.exchangeToken",
      message: transient
        ? `the identity endpoint ${this.tokenEndpoint.origin} failed (${what}); will retry`
        : `the identity endpoint ${this.tokenEndpoint.href} refused the ${this.opts.subjectToken.description} ` +
          `for client "${this.opts.clientId}" (${what}). Check that the client trusts this ServiceAccount ` +
          `(expected subject system:serviceaccount:<namespace>:<name>) and that the token's audience is the realm URL`,
    });
  }
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { Clock } from "./clock.ts";
import { ApiError } from "./errors.ts";

export interface ApiTokenOptions {
  /** The secret, `cd_...`. */
  token: string;
  /** Projects the token may act in; "*" for any. */
  projects: string[] | "*";
  /** Label used in inspection data instead of the secret (default `token-<sha256 prefix>`). */
  name?: string;
  /** Only GET allowed; writes get 403 forbidden. */
  readOnly?: boolean;
  /** After this instant the token gets 401 unauthenticated. */
  expiresAt?: Date | string;
}

export interface OidcOptions {
  /** Expected `iss`, e.g. the Keycloak realm URL `http://127.0.0.1:8080/realms/clouddigit`. */
  issuer: string;
  /** JWKS URL; default: Keycloak's `<issuer>/protocol/openid-connect/certs`. */
  jwksUrl?: string;
  /** Accepted audiences: the token's `aud` (string or array) must contain one of them... */
  audience: string | string[];
  /** ...or, when true (the default), its `azp` may name one (Keycloak client-credentials tokens). */
  acceptAzpAsAudience?: boolean;
  /** Claim listing the projects the caller may use (string, array, or space/comma separated). */
  projectClaim?: string;
  /** Projects when no projectClaim is configured; default "*". */
  projects?: string[] | "*";
  clockToleranceSeconds?: number;
}

export interface Principal {
  /** Rate-limit bucket key and inspection label; never the secret itself. */
  label: string;
  kind: "api_token" | "oidc";
  projects: ReadonlySet<string> | "*";
  readOnly: boolean;
}

export function tokenLabel(token: string): string {
  return `token-${createHash("sha256").update(token).digest("hex").slice(0, 12)}`;
}

interface TokenEntry {
  principal: Principal;
  expiresAt?: number;
}

/**
 * Checks credentials: `X-Cd-Token: cd_...` API tokens (synchronous, the benchmark's fast path)
 * or `Authorization: Bearer <JWT>` from the configured OIDC issuer (signature via JWKS, `iss`,
 * `aud`/`azp`, `exp`, `nbf`).
 */
export class Authenticator {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly oidc?: OidcOptions;
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly audiences: ReadonlySet<string>;
  private readonly verifiedJwts = new Map<string, { principal: Principal; exp: number }>();

  constructor(
    tokens: ApiTokenOptions[],
    oidc: OidcOptions | undefined,
    private readonly clock: Clock,
  ) {
    for (const t of tokens) this.addToken(t);
    this.oidc = oidc;
    this.audiences = new Set(oidc ? [oidc.audience].flat() : []);
    if (oidc) {
      const url = oidc.jwksUrl ?? `${oidc.issuer.replace(/\/$/, "")}/protocol/openid-connect/certs`;
      this.jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 1000 });
    }
  }

  addToken(t: ApiTokenOptions): void {
    if (!t.token.startsWith("cd_")) throw new Error("API tokens start with cd_");
    const entry: TokenEntry = {
      principal: {
        label: t.name ?? tokenLabel(t.token),
        kind: "api_token",
        projects: t.projects === "*" ? "*" : new Set(t.projects),
        readOnly: t.readOnly ?? false,
      },
    };
    if (t.expiresAt !== undefined) entry.expiresAt = new Date(t.expiresAt).getTime();
    this.tokens.set(t.token, entry);
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** Known project names from API token scopes (for listing state). */
  configuredProjects(): string[] {
    const out = new Set<string>();
    for (const e of this.tokens.values())
      if (e.principal.projects !== "*") for (const p of e.principal.projects) out.add(p);
    return [...out];
  }

  authenticate(headers: IncomingHttpHeaders): Principal | Promise<Principal> {
    const apiToken = headers["x-cd-token"];
    if (typeof apiToken === "string") {
      const entry = apiToken.startsWith("cd_") ? this.tokens.get(apiToken) : undefined;
      if (!entry) throw new ApiError(401, "unauthenticated", "unknown or malformed API token");
      if (entry.expiresAt !== undefined && this.clock.now() >= entry.expiresAt) {
        throw new ApiError(401, "unauthenticated", "API token expired");
      }
      return entry.principal;
    }
    const authorization = headers.authorization;
    if (typeof authorization === "string") {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1]) throw new ApiError(401, "unauthenticated", "Authorization must be 'Bearer <token>'");
      return this.verifyJwt(match[1]);
    }
    throw new ApiError(
      401,
      "unauthenticated",
      "missing credentials: send X-Cd-Token or Authorization: Bearer",
    );
  }

  private async verifyJwt(jwt: string): Promise<Principal> {
    if (!this.oidc || !this.jwks)
      throw new ApiError(401, "unauthenticated", "bearer tokens are not accepted here");
    const nowSeconds = this.clock.now() / 1000;
    const cached = this.verifiedJwts.get(jwt);
    if (cached && cached.exp > nowSeconds) return cached.principal;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, this.jwks, {
        issuer: this.oidc.issuer,
        requiredClaims: ["exp", "sub"],
        clockTolerance: this.oidc.clockToleranceSeconds ?? 0,
        currentDate: new Date(this.clock.now()),
      }));
    } catch (err) {
      if (
        err instanceof joseErrors.JWKSTimeout ||
        (err instanceof TypeError && !(err instanceof joseErrors.JOSEError))
      ) {
        throw new ApiError(
          503,
          "unavailable",
          "the identity provider's signing keys could not be fetched",
          undefined,
          {
            "retry-after": "1",
          },
        );
      }
      const reason = err instanceof joseErrors.JOSEError ? err.code : "invalid token";
      throw new ApiError(401, "unauthenticated", `bearer token rejected (${reason})`);
    }
    if (!this.audienceAccepted(payload)) {
      throw new ApiError(401, "unauthenticated", "bearer token rejected (audience not accepted)");
    }
    const principal: Principal = {
      label: `oidc:${typeof payload.azp === "string" ? payload.azp : "-"}:${payload.sub ?? "-"}`,
      kind: "oidc",
      projects: this.projectsOf(payload),
      readOnly: false,
    };
    if (this.verifiedJwts.size > 1000) this.verifiedJwts.clear();
    this.verifiedJwts.set(jwt, { principal, exp: payload.exp ?? 0 });
    return principal;
  }

  private audienceAccepted(payload: JWTPayload): boolean {
    const aud = payload.aud === undefined ? [] : [payload.aud].flat();
    if (aud.some((a) => this.audiences.has(a))) return true;
    const azp = payload.azp;
    return (this.oidc?.acceptAzpAsAudience ?? true) && typeof azp === "string" && this.audiences.has(azp);
  }

  private projectsOf(payload: JWTPayload): ReadonlySet<string> | "*" {
    const claimName = this.oidc?.projectClaim;
    if (!claimName) {
      const projects = this.oidc?.projects ?? "*";
      return projects === "*" ? "*" : new Set(projects);
    }
    const claim = payload[claimName];
    const values = Array.isArray(claim) ? claim : typeof claim === "string" ? claim.split(/[\s,]+/) : [];
    return new Set(values.filter((v): v is string => typeof v === "string" && v.length > 0));
  }
}

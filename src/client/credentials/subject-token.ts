import { readFile } from "node:fs/promises";
import type * as k8s from "@kubernetes/client-node";
import { keepAliveClock, type Clock } from "../../shared/clock.ts";
import { CloudDigitError } from "../errors.ts";

/**
 * Where the workload's own identity comes from: a Kubernetes service-account token that the
 * identity endpoint trusts. `description` is safe to log; the token is not.
 */
export interface SubjectTokenSource {
  readonly description: string;
  token(signal?: AbortSignal): Promise<string>;
}

/** The operator's projected service-account token; re-read on every exchange because the kubelet rotates it. */
export class ProjectedTokenFile implements SubjectTokenSource {
  readonly description: string;

  constructor(private readonly path: string) {
    this.description = `projected service-account token file ${path}`;
  }

  async token(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      const code = (err as { code?: string }).code ?? "error";
      throw new Error(
        `cannot read the service-account token file ${this.path} (${code}); mount a projected ` +
          `serviceAccountToken volume with the identity endpoint's audience at that path`,
        { cause: err },
      );
    }
    const token = text.trim();
    if (token === "") throw new Error(`the service-account token file ${this.path} is empty`);
    return token;
  }
}

/** The subset of CoreV1Api the TokenRequest source needs (injectable in tests). */
export type TokenRequestApi = Pick<k8s.CoreV1Api, "createNamespacedServiceAccountToken">;

export interface TokenRequestOptions {
  namespace: string;
  serviceAccount: string;
  /** The audience the identity endpoint expects: for Keycloak, the realm URL. */
  audience: string;
  /** Requested lifetime; Keycloak refuses assertions living longer than 3600 s. Default 600 (the minimum). */
  expirationSeconds?: number;
  clock?: Clock;
}

/**
 * Per-tenant identity: asks the API server (TokenRequest) for a short-lived token of a named
 * ServiceAccount. The token is reused while more than half of its life remains.
 */
export class TokenRequestSource implements SubjectTokenSource {
  readonly description: string;
  private cached: { token: string; reuseUntil: number } | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly api: TokenRequestApi,
    private readonly opts: TokenRequestOptions,
  ) {
    const seconds = opts.expirationSeconds ?? 600;
    if (seconds < 600 || seconds > 3600) {
      throw new Error(
        `expirationSeconds must be between 600 and 3600 (Kubernetes minimum, identity endpoint maximum); got ${seconds}`,
      );
    }
    this.clock = opts.clock ?? keepAliveClock;
    this.description = `TokenRequest for ServiceAccount ${opts.namespace}/${opts.serviceAccount} (audience ${opts.audience})`;
  }

  async token(): Promise<string> {
    const now = this.clock.now();
    if (this.cached && now < this.cached.reuseUntil) return this.cached.token;
    const seconds = this.opts.expirationSeconds ?? 600;
    let result: k8s.AuthenticationV1TokenRequest;
    try {
      result = await this.api.createNamespacedServiceAccountToken({
        name: this.opts.serviceAccount,
        namespace: this.opts.namespace,
        body: { spec: { audiences: [this.opts.audience], expirationSeconds: seconds } },
      });
    } catch (err) {
      const code = (err as { code?: number }).code;
      const why =
        code === 404
          ? `ServiceAccount ${this.opts.namespace}/${this.opts.serviceAccount} does not exist; create it or fix the ProviderConfig`
          : code === 403
            ? `the operator may not create tokens for ServiceAccount ${this.opts.namespace}/${this.opts.serviceAccount}; grant 'create' on serviceaccounts/token`
            : `TokenRequest failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
      const message = `cannot obtain a service-account token: ${why}`;
      // A missing ServiceAccount or a refused TokenRequest is a configuration problem: terminal
      // (the object stalls until the ProviderConfig or RBAC changes), not a transient error.
      if (code === 404) throw new CloudDigitError({ kind: "unauthenticated", message, cause: err });
      if (code === 403) throw new CloudDigitError({ kind: "forbidden", message, cause: err });
      throw new Error(message, { cause: err });
    }
    const token = result.status?.token;
    if (!token)
      throw new Error(
        `TokenRequest for ${this.opts.namespace}/${this.opts.serviceAccount} returned no token`,
      );
    this.cached = { token, reuseUntil: now + (seconds * 1000) / 2 };
    return token;
  }
}

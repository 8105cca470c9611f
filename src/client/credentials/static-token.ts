import { createHash } from "node:crypto";
import type { Credential } from "./credential.ts";

export interface StaticTokenOptions {
  /**
   * Re-reads the token (e.g. the Secret) after the API refused the current one. Without it a 401
   * is final until `update()` brings a new value.
   */
  reload?: () => Promise<string>;
}

/** Short non-reversible fingerprint of a secret, for limiter keys and logs. */
export function fingerprint(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 12);
}

/**
 * A Cloud Digit API token (`cd_...`, header `X-Cd-Token`), typically from a Kubernetes Secret. The
 * controller layer calls `update()` when the Secret changes, so rotation needs no restart.
 */
export class StaticTokenCredential implements Credential {
  readonly kind = "api-token" as const;
  private token: string;
  private stale = false;

  constructor(
    token: string,
    private readonly opts: StaticTokenOptions = {},
  ) {
    this.token = checkToken(token);
  }

  update(token: string): void {
    this.token = checkToken(token);
    this.stale = false;
  }

  identity(): string {
    return `api-token:${fingerprint(this.token)}`;
  }

  async authHeaders(): Promise<Record<string, string>> {
    if (this.stale && this.opts.reload) {
      this.token = checkToken(await this.opts.reload());
      this.stale = false;
    }
    return { "X-Cd-Token": this.token };
  }

  invalidate(): boolean {
    if (!this.opts.reload) return false;
    this.stale = true;
    return true;
  }
}

function checkToken(token: string): string {
  const trimmed = token.trim();
  if (trimmed === "")
    throw new Error("the API token is empty; put the cd_... token in the referenced Secret key");
  if (/[\r\n]/.test(trimmed))
    throw new Error("the API token contains a line break; store only the token in the Secret key");
  return trimmed;
}

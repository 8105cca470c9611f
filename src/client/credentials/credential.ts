/**
 * Something that authenticates REST calls. Implementations keep the secret to themselves: only
 * `authHeaders()` ever sees it, and `identity` is safe to log and to key the rate limiter by.
 */
export interface Credential {
  readonly kind: "api-token" | "oidc";
  /** Stable, non-secret identity; the rate budget is per identity. */
  identity(): string;
  /** Headers that authenticate one request. */
  authHeaders(signal?: AbortSignal): Promise<Record<string, string>>;
  /**
   * The API answered 401 with the credential from the last `authHeaders()`: drop cached material so
   * the next call fetches afresh. Returns false when nothing can be refreshed (the 401 is final).
   */
  invalidate(): boolean;
}

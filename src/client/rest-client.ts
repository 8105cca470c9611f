import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { z } from "zod";
import { keepAliveClock, sleep, type Clock } from "../shared/clock.ts";
import type { Credential } from "./credentials/credential.ts";
import { CloudDigitError, errorFromNetwork, errorFromResponse } from "./errors.ts";
import { silentLogger } from "../shared/logging.ts";
import type { ClientMetrics } from "./metrics.ts";
import { RateLimiterRegistry, type CredentialRateLimiter, type Priority } from "./rate-limiter.ts";
import { backoffDelay, DEFAULT_RETRY, failedBeforeSending, mayRepeat, type RetryOptions } from "./retry.ts";
import { UndiciTransport, validateEndpoint, type HttpRequest, type Transport } from "./transport.ts";

export const USER_AGENT = `clouddigit-operator/0.1.0 (node ${process.versions.node})`;

export interface RestClientOptions {
  /** API endpoint, e.g. `https://api.bd-dha-1.clouddigit.ai` (with or without the trailing `/v1`). */
  endpoint: string;
  /** Project the calls act in (header `X-Cd-Project`). */
  project: string;
  credential: Credential;
  /** Shared per-credential limiters; pass the process-wide registry so every controller shares budgets. */
  limiters?: RateLimiterRegistry;
  transport?: Transport;
  /** Extra CA bundle (PEM) for the API endpoint; used when no transport is given. */
  caPem?: string;
  retry?: RetryOptions;
  metrics?: ClientMetrics;
  logger?: Logger;
  clock?: Clock;
  userAgent?: string;
  /** Randomness for backoff jitter (tests pin it). */
  random?: () => number;
}

export interface CallOptions {
  priority?: Priority;
  /**
   * Makes a POST safe to repeat: the server returns the first result for a repeated key. Callers
   * derive it from something stable across crashes, e.g. the Kubernetes object UID + operation.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Overrides the overall deadline of this call. */
  deadlineMs?: number;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestSpec<T> {
  service: string;
  operation: string;
  method: HttpRequest["method"];
  /** Path below `/v1`, e.g. `/compute/servers`. */
  path: string;
  query?: Query;
  body?: unknown;
  /** Response schema; omit for calls whose body is ignored. */
  schema?: z.ZodType<T>;
}

/**
 * The one place where REST calls are sent: per-credential rate limiting, authentication,
 * retries with backoff, Retry-After, error mapping, response validation, metrics and logs.
 */
export class RestClient {
  readonly baseUrl: URL;
  private readonly limiters: RateLimiterRegistry;
  private readonly transport: Transport;
  private readonly retry: Required<RetryOptions>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly opts: RestClientOptions) {
    const base = validateEndpoint(opts.endpoint, "API");
    const path = base.pathname.replace(/\/+$/, "");
    base.pathname = path.endsWith("/v1") ? path : `${path}/v1`;
    this.baseUrl = base;
    if (opts.project.trim() === "") throw new Error("a Cloud Digit project is required (X-Cd-Project)");
    this.limiters = opts.limiters ?? new RateLimiterRegistry();
    this.transport = opts.transport ?? new UndiciTransport({ caPem: opts.caPem });
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? keepAliveClock;
    this.random = opts.random ?? Math.random;
  }

  get credential(): Credential {
    return this.opts.credential;
  }

  get project(): string {
    return this.opts.project;
  }

  async request<T>(spec: RequestSpec<T>, call: CallOptions = {}): Promise<T> {
    const priority = call.priority ?? (spec.method === "DELETE" ? "high" : "normal");
    const deadline = this.clock.now() + (call.deadlineMs ?? this.retry.deadlineMs);
    const url = this.url(spec.path, spec.query);
    const state = { refreshedCredential: false, effectUnknown: false };
    try {
      for (let attempt = 1; ; attempt++) {
        const limiter = this.limiters.forCredential(this.opts.credential.identity());
        const waitedMs = await this.acquireBefore(limiter, priority, deadline, spec, call.signal);
        this.opts.metrics?.limiterWait.observe({ priority }, waitedMs / 1000);
        const outcome = await this.attempt(spec, call, url, attempt, state);
        if (outcome.done) return outcome.value;
        const { error, retryable, delayMs } = outcome;
        if (error.kind === "throttled") limiter.throttled(error.retryAfterMs);
        const outOfTime = this.clock.now() + delayMs > deadline;
        if (!retryable || attempt >= this.retry.maxAttempts || outOfTime) throw error;
        if (delayMs > 0) await sleep(this.clock, delayMs, call.signal);
      }
    } catch (err) {
      // Every attempt was refused by the server or never left: the call changed nothing.
      if (err instanceof CloudDigitError) err.notApplied = !state.effectUnknown;
      throw err;
    }
  }

  /**
   * Waits for a rate-limiter slot, but not past the call's deadline: a credential paused for
   * minutes must not hold a reconcile worker that long. Past the deadline the call fails as
   * throttled, carrying how long the pause still lasts, so the caller requeues instead.
   */
  private async acquireBefore(
    limiter: CredentialRateLimiter,
    priority: Priority,
    deadline: number,
    spec: RequestSpec<unknown>,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const controller = new AbortController();
    const deadlineReached = new Error("deadline");
    const forward = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", forward, { once: true });
    const timer = this.clock.setTimeout(() => controller.abort(deadlineReached), deadline - this.clock.now());
    try {
      return await limiter.acquire(priority, controller.signal);
    } catch (err) {
      if (err !== deadlineReached) throw err;
      const pausedFor = limiter.state().pausedUntil - this.clock.now();
      throw new CloudDigitError({
        kind: "throttled",
        operation: `${spec.service}.${spec.operation}`,
        retryAfterMs: Math.max(1000, pausedFor),
        message:
          `${spec.service}.${spec.operation}: the rate budget of credential ${this.opts.credential.identity()} ` +
          `is used up and no request slot opened before the call's deadline; retry later`,
      });
    } finally {
      this.clock.clearTimeout(timer);
      signal?.removeEventListener("abort", forward);
    }
  }

  /** One attempt: its value, or the error with whether and when to try again. Throws only final errors. */
  private async attempt<T>(
    spec: RequestSpec<T>,
    call: CallOptions,
    url: URL,
    attempt: number,
    state: { refreshedCredential: boolean; effectUnknown: boolean },
  ): Promise<Attempt<T>> {
    const operation = `${spec.service}.${spec.operation}`;
    const backoff = (): number => backoffDelay(attempt, this.retry, this.random);
    let headers: Record<string, string>;
    try {
      headers = await this.headers(spec, call);
    } catch (err) {
      // Nothing was sent: a transient failure to obtain credentials may always be retried.
      if (err instanceof CloudDigitError && err.kind === "transient") {
        return { done: false, error: err, retryable: true, delayMs: backoff() };
      }
      throw err;
    }
    const started = performance.now();
    let res;
    try {
      res = await this.transport.send({
        method: spec.method,
        url,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: call.signal,
      });
    } catch (err) {
      if (call.signal?.aborted) throw err;
      this.observe(spec, "network", started);
      const error = errorFromNetwork(err, operation);
      if (!failedBeforeSending(error.code)) state.effectUnknown = true;
      this.logAttempt(spec, attempt, "network", error);
      const retryable = mayRepeat(spec.method, call.idempotencyKey) || failedBeforeSending(error.code);
      return { done: false, error, retryable, delayMs: backoff() };
    }
    this.observe(spec, String(res.status), started);
    // A server error may come after the server acted; a 4xx answer (429 included) is a refusal.
    if (res.status >= 500 || res.status === 408) state.effectUnknown = true;
    if (res.status >= 200 && res.status < 300) {
      this.logAttempt(spec, attempt, res.status);
      return { done: true, value: this.parse(spec, res.bodyText, res.status, operation) };
    }
    const error = errorFromResponse({
      status: res.status,
      body: parseJsonOrUndefined(res.bodyText),
      retryAfter: res.headers["retry-after"],
      requestIdHeader: res.headers["x-request-id"],
      operation,
      now: this.clock.now(),
    });
    this.logAttempt(spec, attempt, res.status, error);
    switch (error.kind) {
      case "throttled":
        // The server did not process the request, so any method may repeat it; the caller pauses
        // the credential's limiter (not a local sleep), so every call on this credential waits.
        this.opts.metrics?.throttled.inc({ service: spec.service });
        return { done: false, error, retryable: true, delayMs: 0 };
      case "unauthenticated":
        if (!state.refreshedCredential && this.opts.credential.invalidate()) {
          state.refreshedCredential = true;
          return { done: false, error, retryable: true, delayMs: 0 };
        }
        throw error;
      case "transient":
        return {
          done: false,
          error,
          retryable: mayRepeat(spec.method, call.idempotencyKey),
          delayMs: error.retryAfterMs ?? backoff(),
        };
      default:
        throw error;
    }
  }

  private url(path: string, query: Query | undefined): URL {
    const url = new URL(this.baseUrl.href);
    url.pathname = `${url.pathname}${path.startsWith("/") ? path : `/${path}`}`;
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (typeof value === "object") for (const v of value) url.searchParams.append(key, v);
      else url.searchParams.set(key, String(value));
    }
    return url;
  }

  private async headers(spec: RequestSpec<unknown>, call: CallOptions): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": this.opts.userAgent ?? USER_AGENT,
      "x-cd-project": this.opts.project,
      ...(await this.opts.credential.authHeaders(call.signal)),
    };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    if (call.idempotencyKey) headers["idempotency-key"] = call.idempotencyKey;
    return headers;
  }

  private parse<T>(spec: RequestSpec<T>, bodyText: string, status: number, operation: string): T {
    if (!spec.schema) return undefined as T;
    const body = parseJsonOrUndefined(bodyText);
    const parsed = spec.schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
      .join("; ");
    throw new CloudDigitError({
      kind: "invalid",
      code: "unexpected_response",
      status,
      operation,
      message: `${operation}: the API answered HTTP ${status} with a body this client does not understand (${issues}); the Cloud Digit API may have changed`,
    });
  }

  private observe(spec: RequestSpec<unknown>, code: string, started: number): void {
    const m = this.opts.metrics;
    if (!m) return;
    m.requests.inc({ service: spec.service, operation: spec.operation, code });
    m.duration.observe(
      { service: spec.service, operation: spec.operation },
      (performance.now() - started) / 1000,
    );
  }

  private logAttempt(
    spec: RequestSpec<unknown>,
    attempt: number,
    status: number | string,
    error?: CloudDigitError,
  ): void {
    const fields = {
      service: spec.service,
      operation: spec.operation,
      method: spec.method,
      path: spec.path,
      status,
      attempt,
      credential: this.opts.credential.identity(),
    };
    if (error)
      this.logger.debug(
        { ...fields, kind: error.kind, code: error.code, requestId: error.requestId },
        error.message,
      );
    else this.logger.trace(fields, "cloud digit call");
  }
}

type Attempt<T> =
  { done: true; value: T } | { done: false; error: CloudDigitError; retryable: boolean; delayMs: number };

function parseJsonOrUndefined(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

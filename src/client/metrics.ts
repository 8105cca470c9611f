import { Counter, Histogram, type Registry } from "prom-client";

/** The client's Prometheus metrics, registered on the registry the caller passes in. */
export class ClientMetrics {
  readonly requests: Counter<"service" | "operation" | "code">;
  readonly duration: Histogram<"service" | "operation">;
  readonly throttled: Counter<"service">;
  readonly limiterWait: Histogram<"priority">;
  readonly tokenRefresh: Counter<"result">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = getOrCreate(
      registry,
      "clouddigit_api_requests_total",
      () =>
        new Counter({
          name: "clouddigit_api_requests_total",
          help: "Requests sent to Cloud Digit, by service, operation and HTTP status code (or 'network' for failures without a response).",
          labelNames: ["service", "operation", "code"],
          registers,
        }),
    );
    this.duration = getOrCreate(
      registry,
      "clouddigit_api_request_duration_seconds",
      () =>
        new Histogram({
          name: "clouddigit_api_request_duration_seconds",
          help: "Latency of one request to Cloud Digit (one attempt, excluding rate-limiter waits).",
          labelNames: ["service", "operation"],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers,
        }),
    );
    this.throttled = getOrCreate(
      registry,
      "clouddigit_api_throttled_total",
      () =>
        new Counter({
          name: "clouddigit_api_throttled_total",
          help: "Responses with HTTP 429 (rate limited) from Cloud Digit.",
          labelNames: ["service"],
          registers,
        }),
    );
    this.limiterWait = getOrCreate(
      registry,
      "clouddigit_rate_limiter_wait_seconds",
      () =>
        new Histogram({
          name: "clouddigit_rate_limiter_wait_seconds",
          help: "Time a request waited in the per-credential rate limiter before being sent.",
          labelNames: ["priority"],
          buckets: [0, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
          registers,
        }),
    );
    this.tokenRefresh = getOrCreate(
      registry,
      "clouddigit_token_refresh_total",
      () =>
        new Counter({
          name: "clouddigit_token_refresh_total",
          help: "OIDC access-token exchanges at the identity endpoint, by result (success, failure).",
          labelNames: ["result"],
          registers,
        }),
    );
  }
}

// Several clients may share one registry; prom-client refuses a second metric of the same name.
function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Credential } from "./credentials/credential.ts";
import { StaticTokenCredential } from "./credentials/static-token.ts";
import { CloudDigitError } from "./errors.ts";
import { FakeClock } from "../shared/testing/fake-clock.ts";
import { ClientMetrics } from "./metrics.ts";
import { RateLimiterRegistry } from "./rate-limiter.ts";
import { RestClient, type RequestSpec } from "./rest-client.ts";
import type { HttpRequest, HttpResponse, Transport } from "./transport.ts";

type Answer = HttpResponse | Error;

/** Answers requests from a script and records what was sent. */
class ScriptedTransport implements Transport {
  readonly sent: HttpRequest[] = [];
  constructor(private readonly answers: Answer[]) {}
  async send(req: HttpRequest): Promise<HttpResponse> {
    this.sent.push(req);
    const a = this.answers.shift();
    if (!a) throw new Error("no scripted answer left");
    if (a instanceof Error) throw a;
    return a;
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  bodyText: JSON.stringify(body),
});
const envelope = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: `${code} happened`, request_id: "req-1" } }, headers);
const socketError = (code: string) => Object.assign(new Error(`socket ${code}`), { code });

const vpc = {
  id: "vpc_1",
  name: "a",
  state: "active",
  created_at: "2026-01-01T00:00:00Z",
  tags: {},
  cidr: "10.0.0.0/16",
};
const schema = z.object({ id: z.string() }).loose();
const get: RequestSpec<{ id: string }> = {
  service: "network",
  operation: "getVpc",
  method: "GET",
  path: "/network/vpcs/vpc_1",
  schema,
};
const post: RequestSpec<{ id: string }> = {
  service: "network",
  operation: "createVpc",
  method: "POST",
  path: "/network/vpcs",
  body: { name: "a" },
  schema,
};

function setup(answers: Answer[], opts: { credential?: Credential; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const transport = new ScriptedTransport(answers);
  const registry = new Registry();
  const client = new RestClient({
    endpoint: "http://127.0.0.1:1",
    project: "p1",
    credential: opts.credential ?? new StaticTokenCredential("cd_secret_value"),
    transport,
    clock,
    limiters: new RateLimiterRegistry({ clock }),
    metrics: new ClientMetrics(registry),
    random: () => 0.5,
    retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 30_000 },
  });
  return { client, transport, clock, registry };
}

/** Runs a call while advancing the fake clock until it settles. */
async function settle<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  const guarded = p.finally(() => (done = true));
  for (let i = 0; i < 600 && !done; i++) await clock.advanceAsync(100);
  return guarded;
}

describe("RestClient", () => {
  it("sends project, token, user agent and idempotency key; validates the response", async () => {
    const { client, transport } = setup([json(201, { ...vpc, extra_field: 1 })]);
    const out = await client.request(post, { idempotencyKey: "uid-1/create" });
    expect(out).toMatchObject({ id: "vpc_1", extra_field: 1 });
    const h = transport.sent[0]!.headers;
    expect(h["x-cd-project"]).toBe("p1");
    expect(h["X-Cd-Token"]).toBe("cd_secret_value");
    expect(h["idempotency-key"]).toBe("uid-1/create");
    expect(h["user-agent"]).toMatch(/^clouddigit-operator\//);
    expect(h["content-type"]).toBe("application/json");
    expect(transport.sent[0]!.url.href).toBe("http://127.0.0.1:1/v1/network/vpcs");
  });

  it("retries transient errors on idempotent calls with backoff", async () => {
    const { client, transport, clock } = setup([
      envelope(503, "unavailable"),
      socketError("ECONNRESET"),
      json(200, vpc),
    ]);
    const out = await settle(clock, client.request(get));
    expect(out.id).toBe("vpc_1");
    expect(transport.sent).toHaveLength(3);
  });

  it("repeats a POST after a lost response only when it carries an idempotency key", async () => {
    const withKey = setup([socketError("UND_ERR_SOCKET"), json(201, vpc)]);
    await settle(withKey.clock, withKey.client.request(post, { idempotencyKey: "k" }));
    expect(withKey.transport.sent.map((r) => r.headers["idempotency-key"])).toEqual(["k", "k"]);

    const withoutKey = setup([socketError("UND_ERR_SOCKET"), json(201, vpc)]);
    const err = await settle(
      withoutKey.clock,
      withoutKey.client.request(post).catch((e: unknown) => e),
    );
    expect(err).toMatchObject({ kind: "transient" });
    expect(withoutKey.transport.sent).toHaveLength(1);
  });

  it.each([
    ["every attempt refused by the server", [envelope(409, "conflict")], true],
    ["credentials refused twice", [envelope(401, "unauthenticated"), envelope(401, "unauthenticated")], true],
    [
      "connections refused until the attempts run out",
      Array.from({ length: 4 }, () => socketError("ECONNREFUSED")),
      true,
    ],
    [
      "a server error before the refusal",
      [envelope(500, "internal"), envelope(422, "invalid_request")],
      false,
    ],
    ["a connection lost after sending", Array.from({ length: 4 }, () => socketError("ECONNRESET")), false],
  ] as const)("says whether a failed call changed nothing: %s", async (_, answers, notApplied) => {
    const { client, clock } = setup([...answers]);
    const err = await settle(
      clock,
      client.request(post, { idempotencyKey: "k" }).catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(CloudDigitError);
    expect((err as CloudDigitError).notApplied).toBe(notApplied);
  });

  it("a refused connection (nothing sent) is retried even for a POST without a key", async () => {
    const { client, transport, clock } = setup([socketError("ECONNREFUSED"), json(201, vpc)]);
    await settle(clock, client.request(post));
    expect(transport.sent).toHaveLength(2);
  });

  it("never retries terminal errors", async () => {
    for (const [status, code, kind] of [
      [400, "invalid_request", "invalid"],
      [403, "forbidden", "forbidden"],
      [403, "mfa_required", "forbidden"],
      [422, "quota_exceeded", "quota"],
      [403, "budget_exceeded", "quota"],
      [422, "idempotency_mismatch", "invalid"],
      [409, "conflict", "collision"],
    ] as const) {
      const { client, transport, clock } = setup([envelope(status, code)]);
      const err = await settle(
        clock,
        client.request(get).catch((e: unknown) => e as CloudDigitError),
      );
      expect(err).toMatchObject({ kind, code, status, requestId: "req-1", terminal: true });
      expect(transport.sent).toHaveLength(1);
    }
  });

  it("maps 404 to not_found and 409 state codes to conflict, without retrying", async () => {
    for (const [status, code, kind] of [
      [404, "not_found", "not_found"],
      [409, "in_use", "conflict"],
      [409, "invalid_state", "conflict"],
    ] as const) {
      const { client, transport } = setup([envelope(status, code)]);
      await expect(client.request(get)).rejects.toMatchObject({ kind, terminal: false });
      expect(transport.sent).toHaveLength(1);
    }
  });

  it("waits Retry-After (seconds) on 429 and then succeeds, for a POST too", async () => {
    const { client, transport, clock } = setup([
      envelope(429, "rate_limited", { "retry-after": "3" }),
      json(201, vpc),
    ]);
    const start = clock.now();
    let resolvedAt = 0;
    const p = client.request(post).then((v) => ((resolvedAt = clock.now()), v));
    await settle(clock, p);
    expect(transport.sent).toHaveLength(2);
    expect(resolvedAt - start).toBeGreaterThanOrEqual(3000);
  });

  it("waits Retry-After given as an HTTP date", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
    const { client, transport } = setup(
      [envelope(429, "rate_limited", { "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), json(200, vpc)],
      { clock },
    );
    const p = client.request(get);
    await clock.advanceAsync(4900);
    expect(transport.sent).toHaveLength(1);
    await settle(clock, p);
    expect(transport.sent).toHaveLength(2);
    expect(clock.now()).toBeGreaterThanOrEqual(Date.parse("2026-01-01T00:00:05Z"));
  });

  it("a 429 pauses every call on the same credential, not just the throttled one", async () => {
    const clock = new FakeClock();
    const credential = new StaticTokenCredential("cd_shared");
    const limiters = new RateLimiterRegistry({ clock });
    const transport = new ScriptedTransport([
      envelope(429, "rate_limited", { "retry-after": "2" }),
      json(200, vpc),
      json(200, vpc),
    ]);
    const mk = () =>
      new RestClient({
        endpoint: "http://127.0.0.1:1",
        project: "p",
        credential,
        transport,
        clock,
        limiters,
        random: () => 0.5,
      });
    const first = mk().request(get);
    await clock.advanceAsync(10);
    const second = mk().request(get);
    await clock.advanceAsync(1900);
    expect(transport.sent).toHaveLength(1);
    await settle(clock, Promise.all([first, second]));
    expect(transport.sent).toHaveLength(3);
  });

  it("on 401 refreshes the credential once, then fails terminally", async () => {
    let invalidations = 0;
    const credential: Credential = {
      kind: "oidc",
      identity: () => "oidc:test",
      authHeaders: async () => ({ Authorization: `Bearer token-${invalidations}` }),
      invalidate: () => (invalidations++, true),
    };
    const ok = setup([envelope(401, "unauthenticated"), json(200, vpc)], { credential });
    await ok.client.request(get);
    expect(ok.transport.sent.map((r) => r.headers.Authorization)).toEqual([
      "Bearer token-0",
      "Bearer token-1",
    ]);

    const bad = setup([envelope(401, "unauthenticated"), envelope(401, "unauthenticated"), json(200, vpc)], {
      credential,
    });
    const err = (await bad.client.request(get).catch((e: unknown) => e)) as CloudDigitError;
    expect(err).toMatchObject({ kind: "unauthenticated", terminal: true });
    expect(bad.transport.sent).toHaveLength(2);
    expect(err.message).not.toContain("token-");
  });

  it("gives up after maxAttempts and within the deadline", async () => {
    const { client, transport, clock } = setup(Array.from({ length: 10 }, () => envelope(500, "internal")));
    const err = await settle(
      clock,
      client.request(get).catch((e: unknown) => e),
    );
    expect(err).toMatchObject({ kind: "transient", code: "internal" });
    expect(transport.sent).toHaveLength(4);
  });

  it("does not wait for the limiter past the call's deadline; fails as throttled with the remaining pause", async () => {
    const clock = new FakeClock();
    const limiters = new RateLimiterRegistry({ clock });
    const credential = new StaticTokenCredential("cd_paused");
    limiters.forCredential(credential.identity()).throttled(120_000);
    const transport = new ScriptedTransport([]);
    const client = new RestClient({
      endpoint: "http://127.0.0.1:1",
      project: "p",
      credential,
      transport,
      clock,
      limiters,
    });
    const err = (await settle(
      clock,
      client.request(get, { deadlineMs: 30_000 }).catch((e: unknown) => e),
    )) as CloudDigitError;
    expect(err).toMatchObject({ kind: "throttled" });
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(89_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(90_000);
    expect(transport.sent).toHaveLength(0);
    expect(limiters.forCredential(credential.identity()).state().waiting.normal).toBe(0);
  });

  it("rejects a response that does not match the schema as an unexpected response", async () => {
    const { client } = setup([json(200, { name: "no id" })]);
    await expect(client.request(get)).rejects.toMatchObject({ kind: "invalid", code: "unexpected_response" });
  });

  it("counts requests by service, operation and code", async () => {
    const { client, clock, registry } = setup([envelope(503, "unavailable"), json(200, vpc)]);
    await settle(clock, client.request(get));
    const values = (await registry.getSingleMetric("clouddigit_api_requests_total")!.get()).values;
    expect(values.map((v) => [v.labels.code, v.value])).toEqual([
      ["503", 1],
      ["200", 1],
    ]);
  });

  it("refuses plain http to non-loopback endpoints", () => {
    expect(
      () =>
        new RestClient({
          endpoint: "http://api.example.com",
          project: "p",
          credential: new StaticTokenCredential("cd_x"),
        }),
    ).toThrow(/must use https/);
  });
});

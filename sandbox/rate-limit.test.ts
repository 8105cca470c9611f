import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { startSandbox, type Sandbox } from "./server.ts";

// Cloud Digit documents 60 req/s burst and 30 req/s sustained per token, and a Retry-After on
// 429. The exact numbers are checked with an injected clock (no wall-clock flakiness); one
// real-time test checks the same behaviour with a tolerance.

describe("RateLimiter (token bucket, injected clock)", () => {
  it("allows exactly the burst at one instant, then refuses with Retry-After 1", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ burst: 60, perSecond: 30 }, clock);
    const decisions = Array.from({ length: 200 }, () => limiter.take("a"));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused).toHaveLength(140);
    expect(new Set(refused.map((d) => (d.allowed ? 0 : d.retryAfterSeconds)))).toEqual(new Set([1]));
    clock.advance(1000);
    expect(Array.from({ length: 40 }, () => limiter.take("a")).filter((d) => d.allowed)).toHaveLength(30);
  });

  it("sustains 30/s after the burst: 200 requests spread over one second get 60 + 29", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ burst: 60, perSecond: 30 }, clock);
    let allowed = 0;
    for (let i = 0; i < 200; i++) {
      if (limiter.take("a").allowed) allowed++;
      clock.advance(5);
    }
    // 60 from the bucket + 199 * 5 ms * 30/s = 29.85 refilled.
    expect(allowed).toBe(89);
  });

  it("keeps one bucket per key", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ burst: 60, perSecond: 30 }, clock);
    for (let i = 0; i < 100; i++) limiter.take("a");
    expect(Array.from({ length: 60 }, () => limiter.take("b")).every((d) => d.allowed)).toBe(true);
  });

  it("Retry-After is the whole seconds after which a request is allowed again", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ burst: 2, perSecond: 0.4 }, clock);
    limiter.take("a");
    limiter.take("a");
    const refused = limiter.take("a");
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 3 }); // 1 / 0.4 = 2.5 s, rounded up
    clock.advance(2499);
    expect(limiter.take("a").allowed).toBe(false);
    clock.advance(501);
    expect(limiter.take("a").allowed).toBe(true);
  });
});

describe("rate limiting over HTTP", () => {
  let sb: Sandbox | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  const get = async (
    sandbox: Sandbox,
    token: string,
  ): Promise<{ status: number; retryAfter: string | null; code?: string }> => {
    const res = await fetch(`${sandbox.apiUrl}/network/vpcs`, {
      headers: { "x-cd-token": token, "x-cd-project": "p" },
    });
    const body = (await res.json()) as { error?: { code: string } };
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      ...(body.error ? { code: body.error.code } : {}),
    };
  };

  it("200 concurrent requests on one token at one instant: exactly 60 pass, 140 get 429 rate_limited with Retry-After 1; another token is unaffected", async () => {
    const clock = new ManualClock();
    sb = await startSandbox({
      clock,
      tokens: [
        { token: "cd_first", projects: ["p"], name: "first" },
        { token: "cd_second", projects: ["p"], name: "second" },
      ],
    });
    const sandbox = sb;
    const results = await Promise.all(Array.from({ length: 200 }, () => get(sandbox, "cd_first")));
    expect(results.filter((r) => r.status === 200)).toHaveLength(60);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(140);
    expect(limited.every((r) => r.code === "rate_limited" && r.retryAfter === "1")).toBe(true);

    const other = await Promise.all(Array.from({ length: 60 }, () => get(sandbox, "cd_second")));
    expect(other.every((r) => r.status === 200)).toBe(true);

    clock.advance(1000);
    const next = await Promise.all(Array.from({ length: 40 }, () => get(sandbox, "cd_first")));
    expect(next.filter((r) => r.status === 200)).toHaveLength(30);

    // The inspection endpoint reports the same counts, per token, without spending the budget.
    const counts = (await (await fetch(`${sandbox.inspectUrl}/counts`)).json()) as {
      rows: { token: string; status: number; count: number }[];
    };
    const count = (token: string, status: number): number =>
      counts.rows.filter((r) => r.token === token && r.status === status).reduce((n, r) => n + r.count, 0);
    expect([count("first", 200), count("first", 429), count("second", 200), count("second", 429)]).toEqual([
      90, 150, 60, 0,
    ]);
    const calls = (await (await fetch(`${sandbox.inspectUrl}/calls?token=first&status=429`)).json()) as {
      calls: { retry_after: number; at: number }[];
    };
    expect(calls.calls).toHaveLength(150);
    expect(calls.calls.every((c) => c.retry_after === 1)).toBe(true);
  });

  it("in real time, as fast as possible: 2xx count within the burst + 30/s of elapsed time, and waiting Retry-After works", async () => {
    sb = await startSandbox({
      tokens: [
        { token: "cd_real", projects: ["p"] },
        { token: "cd_idle", projects: ["p"] },
      ],
    });
    const sandbox = sb;
    const started = performance.now();
    const results: { status: number; retryAfter: string | null }[] = [];
    for (let batch = 0; batch < 25; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 8 }, () => get(sandbox, "cd_real")))));
    }
    const elapsedS = (performance.now() - started) / 1000;
    const passed = results.filter((r) => r.status === 200).length;
    expect(passed).toBeGreaterThanOrEqual(60);
    expect(passed).toBeLessThanOrEqual(60 + Math.ceil(30 * elapsedS) + 1);
    expect(
      results
        .filter((r) => r.status !== 200)
        .every((r) => r.status === 429 && /^[1-9]\d*$/.test(r.retryAfter ?? "")),
    ).toBe(true);
    expect((await get(sandbox, "cd_idle")).status).toBe(200);

    // Exhaust the bucket, then honour Retry-After: the next call must pass.
    let refused: { status: number; retryAfter: string | null } | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const r = await get(sandbox, "cd_real");
      if (r.status === 429) refused = r;
    }
    expect(refused).toBeDefined();
    await new Promise((r) => setTimeout(r, Number(refused?.retryAfter) * 1000));
    expect((await get(sandbox, "cd_real")).status).toBe(200);
  });

  it("can be switched off (benchmarks) and back on at run time", async () => {
    const clock = new ManualClock();
    sb = await startSandbox({ clock, rateLimit: false, tokens: [{ token: "cd_bench", projects: ["p"] }] });
    const sandbox = sb;
    const off = await Promise.all(Array.from({ length: 150 }, () => get(sandbox, "cd_bench")));
    expect(off.every((r) => r.status === 200)).toBe(true);
    sandbox.setRateLimit({ burst: 5, perSecond: 1 });
    const on = await Promise.all(Array.from({ length: 10 }, () => get(sandbox, "cd_bench")));
    expect(on.filter((r) => r.status === 200)).toHaveLength(5);
  });
});

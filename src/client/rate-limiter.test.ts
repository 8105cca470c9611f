import { describe, expect, it } from "vitest";
import { FakeClock } from "../shared/testing/fake-clock.ts";
import { CredentialRateLimiter, RateLimiterRegistry, type Priority } from "./rate-limiter.ts";

function limiter(
  clock: FakeClock,
  extra: Partial<ConstructorParameters<typeof CredentialRateLimiter>[0]> = {},
) {
  return new CredentialRateLimiter({
    burst: 10,
    perSecond: 10,
    headroom: 1,
    burstHeadroom: 1,
    decreaseFactor: 0.5,
    clock,
    ...extra,
  });
}

describe("CredentialRateLimiter", () => {
  it("grants the burst at once, then the sustained rate", async () => {
    const clock = new FakeClock();
    const l = limiter(clock);
    const granted: number[] = [];
    const all = Array.from({ length: 30 }, (_, i) => l.acquire("normal").then(() => granted.push(i)));
    await clock.advanceAsync(0);
    expect(granted).toHaveLength(10);
    await clock.advanceAsync(1000);
    expect(granted).toHaveLength(20);
    await clock.advanceAsync(1000);
    expect(granted).toHaveLength(30);
    await Promise.all(all);
    expect(granted).toEqual([...granted].sort((a, b) => a - b));
  });

  it("serves high before normal before low when tokens are short", async () => {
    const clock = new FakeClock();
    const l = limiter(clock, { burst: 1, perSecond: 1, lowPriorityReserve: 0 });
    await l.acquire("normal");
    const order: Priority[] = [];
    const enqueue = (p: Priority): Promise<void> => l.acquire(p).then(() => void order.push(p));
    const done = [enqueue("low"), enqueue("normal"), enqueue("low"), enqueue("high"), enqueue("normal")];
    await clock.advanceAsync(5000);
    await Promise.all(done);
    expect(order).toEqual(["high", "normal", "normal", "low", "low"]);
  });

  it("keeps a reserve that low priority may not spend", async () => {
    const clock = new FakeClock();
    const l = limiter(clock, { burst: 10, perSecond: 10, lowPriorityReserve: 4 });
    let lowGranted = 0;
    for (let i = 0; i < 10; i++) void l.acquire("low").then(() => lowGranted++);
    await clock.advanceAsync(0);
    expect(lowGranted).toBe(6);
    const highWait = await l.acquire("high");
    expect(highWait).toBe(0);
  });

  it("a 429 pauses the whole credential for Retry-After, for every priority", async () => {
    const clock = new FakeClock();
    const l = limiter(clock);
    l.throttled(3000);
    let grantedAt: number | undefined;
    void l.acquire("high").then(() => (grantedAt = clock.now()));
    const start = clock.now();
    await clock.advanceAsync(2999);
    expect(grantedAt).toBeUndefined();
    await clock.advanceAsync(1 + 200);
    expect(grantedAt).toBeDefined();
    expect(grantedAt! - start).toBeGreaterThanOrEqual(3000);
  });

  it("slows down after a 429 and recovers over time (AIMD)", async () => {
    const clock = new FakeClock();
    const l = limiter(clock, { recoveryPerSecond: 0.1 });
    expect(l.state().ratePerSecond).toBe(10);
    l.throttled(1000);
    l.throttled(1000); // a second 429 from a request already in flight is the same signal
    expect(l.state().ratePerSecond).toBe(5);
    await clock.advanceAsync(1000 + 2000);
    expect(l.state().ratePerSecond).toBeCloseTo(5 * (1 + 0.2 * 2), 5);
    await clock.advanceAsync(10_000);
    expect(l.state().ratePerSecond).toBe(10);
  });

  it("a waiter that aborts leaves the queue", async () => {
    const clock = new FakeClock();
    const l = limiter(clock, { burst: 1, perSecond: 1 });
    await l.acquire();
    const ac = new AbortController();
    const waiting = l.acquire("normal", ac.signal);
    ac.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(l.state().waiting.normal).toBe(0);
  });

  it("the registry hands out one limiter per credential identity", () => {
    const r = new RateLimiterRegistry();
    expect(r.forCredential("a")).toBe(r.forCredential("a"));
    expect(r.forCredential("a")).not.toBe(r.forCredential("b"));
  });
});

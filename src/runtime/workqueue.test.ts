import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../shared/testing/fake-clock.ts";
import { RuntimeMetrics } from "./metrics.ts";
import { defaultControllerRateLimiter, ExponentialFailureRateLimiter } from "./rate-limiter.ts";
import { Priority, WorkQueue } from "./workqueue.ts";

function newQueue(clock = new FakeClock()) {
  const registry = new Registry();
  const queue = new WorkQueue({
    name: "test",
    clock,
    rateLimiter: defaultControllerRateLimiter({ clock }),
    metrics: RuntimeMetrics.for(registry),
  });
  return { queue, clock, registry };
}

describe("WorkQueue", () => {
  it("merges adds of a pending key", async () => {
    const { queue } = newQueue();
    queue.add("a");
    queue.add("b");
    queue.add("a");
    expect(queue.len()).toBe(2);
    expect((await queue.get())?.key).toBe("a");
    expect((await queue.get())?.key).toBe("b");
    expect(queue.len()).toBe(0);
  });

  it("hands a key to one worker at a time and requeues it when added during processing", async () => {
    const { queue } = newQueue();
    queue.add("a");
    const first = await queue.get();
    expect(first?.key).toBe("a");
    for (let i = 0; i < 50; i++) queue.add("a");
    // "a" is being processed: a second worker must not get it.
    let second: string | undefined;
    void queue.get().then((item) => (second = item?.key));
    await Promise.resolve();
    expect(second).toBeUndefined();
    expect(queue.len()).toBe(0);
    queue.done("a");
    await Promise.resolve();
    expect(second).toBe("a");
    queue.done("a");
    expect(queue.len()).toBe(0);
  });

  it("serves higher priorities first and raises the priority of a pending key", async () => {
    const { queue } = newQueue();
    queue.add("low1", { priority: Priority.Low });
    queue.add("normal", { priority: Priority.Normal });
    queue.add("low2", { priority: Priority.Low });
    queue.add("high", { priority: Priority.High });
    queue.add("low2", { priority: Priority.High });
    expect(queue.len()).toBe(4);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await queue.get())!.key);
    expect(order).toEqual(["high", "low2", "normal", "low1"]);
    expect(queue.len()).toBe(0);
  });

  it("Urgent (a finished wait) goes ahead of a backlog of High work, also when raised from High", async () => {
    const { queue } = newQueue();
    for (let i = 0; i < 3; i++) queue.add(`new${i}`, { priority: Priority.High });
    queue.add("new2", { priority: Priority.Urgent });
    queue.add("woken", { priority: Priority.Urgent });
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await queue.get())!.key);
    expect(order).toEqual(["new2", "woken", "new0", "new1"]);
  });

  it("delays addAfter until the clock reaches it; the earliest delay wins", async () => {
    const { queue, clock } = newQueue();
    queue.addAfter("a", 1000);
    queue.addAfter("a", 300);
    queue.addAfter("a", 5000);
    expect(queue.len()).toBe(0);
    clock.advance(299);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
    expect((await queue.get())?.key).toBe("a");
    queue.done("a");
    clock.advance(10_000);
    expect(queue.len()).toBe(0);
  });

  it("backs off per item exponentially and forgets on success", () => {
    const limiter = new ExponentialFailureRateLimiter(5, 1_000_000);
    const delays = Array.from({ length: 5 }, () => limiter.when("a"));
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    expect(limiter.when("b")).toBe(5);
    limiter.forget("a");
    expect(limiter.when("a")).toBe(5);
    for (let i = 0; i < 100; i++) limiter.when("c");
    expect(limiter.when("c")).toBe(1_000_000);
  });

  it("combines the per-item backoff with the overall bucket", () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter({ clock, qps: 10, burst: 2 });
    expect(limiter.when("a")).toBe(5);
    expect(limiter.when("b")).toBe(5);
    // The bucket (burst 2) is empty now: the third distinct key waits for a token (100 ms at 10 qps).
    expect(limiter.when("c")).toBeCloseTo(100, 5);
    clock.advance(1000);
    expect(limiter.when("d")).toBe(5);
  });

  it("addRateLimited waits for the backoff and counts retries", async () => {
    const { queue, clock, registry } = newQueue();
    queue.addRateLimited("a");
    expect(queue.len()).toBe(0);
    clock.advance(5);
    expect(queue.len()).toBe(1);
    const item = await queue.get();
    expect(item?.retries).toBe(1);
    queue.done("a");
    queue.addRateLimited("a");
    clock.advance(9);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
    const text = await registry.metrics();
    expect(text).toMatch(/workqueue_retries_total\{name="test",controller="test"\} 2/);
    expect(text).toMatch(/workqueue_adds_total\{name="test",controller="test"\} 2/);
    expect(text).toMatch(/workqueue_depth\{name="test",controller="test"\} 1/);
  });

  it("reports unfinished work and the longest running processor", async () => {
    const { queue, clock, registry } = newQueue();
    queue.add("a");
    queue.add("b");
    await queue.get();
    clock.advance(2000);
    await queue.get();
    clock.advance(1000);
    const text = await registry.metrics();
    expect(text).toMatch(/workqueue_unfinished_work_seconds\{name="test",controller="test"\} 4/);
    expect(text).toMatch(/workqueue_longest_running_processor_seconds\{name="test",controller="test"\} 3/);
  });

  it("shutDown releases waiting workers; shutDownWithDrain waits for in-flight keys", async () => {
    const { queue } = newQueue();
    queue.add("a");
    await queue.get();
    const waiting = queue.get();
    let drained = false;
    const drain = queue.shutDownWithDrain().then(() => (drained = true));
    expect(await waiting).toBeUndefined();
    await Promise.resolve();
    expect(drained).toBe(false);
    queue.done("a");
    await drain;
    expect(drained).toBe(true);
    queue.add("b");
    expect(await queue.get()).toBeUndefined();
  });
});

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../shared/testing/fake-clock.ts";
import { Controller, type ReconcileContext } from "./controller.ts";
import { createLogger } from "../shared/logging.ts";

/** Lets pending promise callbacks run (the fake clock never advances by itself). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("Controller", () => {
  it("reconciles a key updated 50 times during its reconcile once more afterwards, never concurrently", async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    const calls: string[] = [];
    const controller = new Controller({
      name: "widgets",
      concurrency: 4,
      clock,
      registry,
      reconcile: async (key) => {
        calls.push(key);
        running++;
        maxRunning = Math.max(maxRunning, running);
        try {
          if (calls.length === 1) await gate.promise;
        } finally {
          running--;
        }
      },
    });
    controller.start();
    controller.enqueue("ns/a");
    await flush();
    expect(calls).toEqual(["ns/a"]);
    for (let i = 0; i < 50; i++) {
      controller.enqueue("ns/a");
      clock.advance(10);
      await flush();
    }
    // Four workers are idle, yet none may take "ns/a" while it is being reconciled.
    expect(calls).toEqual(["ns/a"]);
    gate.resolve();
    await flush();
    expect(calls).toEqual(["ns/a", "ns/a"]);
    clock.advance(60_000);
    await flush();
    expect(calls).toEqual(["ns/a", "ns/a"]);
    expect(maxRunning).toBe(1);
    expect(await controller.stop(1000)).toBe(true);
    const text = await registry.metrics();
    expect(text).toMatch(/controller_runtime_reconcile_total\{controller="widgets",result="success"\} 2/);
    expect(text).toMatch(/controller_runtime_max_concurrent_reconciles\{controller="widgets"\} 4/);
  });

  it("retries a throwing reconcile with exponential backoff and forgets after success", async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const attempts: Array<{ at: number; retries: number }> = [];
    const start = clock.now();
    const controller = new Controller({
      name: "flaky",
      clock,
      registry,
      reconcile: async (_key, ctx: ReconcileContext) => {
        attempts.push({ at: clock.now() - start, retries: ctx.retries });
        if (attempts.length <= 3) throw new Error("cloud says no");
      },
    });
    controller.start();
    controller.enqueue("a");
    await flush();
    for (let i = 0; i < 100; i++) {
      clock.advance(1);
      await flush();
    }
    // Attempts at 0, then after 5 ms, 10 ms and 20 ms of backoff.
    expect(attempts).toEqual([
      { at: 0, retries: 0 },
      { at: 5, retries: 1 },
      { at: 15, retries: 2 },
      { at: 35, retries: 3 },
    ]);
    expect(controller.queue.retries("a")).toBe(0);
    const text = await registry.metrics();
    expect(text).toMatch(/controller_runtime_reconcile_errors_total\{controller="flaky"\} 3/);
    expect(text).toMatch(/controller_runtime_reconcile_total\{controller="flaky",result="error"\} 3/);
    await controller.stop(1000);
  });

  it("requeues after the interval a reconcile asks for", async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const controller = new Controller({
      name: "poller",
      clock,
      reconcile: async () => {
        calls.push(clock.now());
        return calls.length < 3 ? { requeueAfterMs: 30_000 } : undefined;
      },
    });
    controller.start();
    controller.enqueue("a");
    await flush();
    clock.advance(29_999);
    await flush();
    expect(calls.length).toBe(1);
    clock.advance(1);
    await flush();
    expect(calls.length).toBe(2);
    clock.advance(30_000);
    await flush();
    clock.advance(120_000);
    await flush();
    expect(calls.length).toBe(3);
    await controller.stop(1000);
  });

  it("stop() lets in-flight reconciles finish and starts no new ones", async () => {
    const clock = new FakeClock();
    const gate = deferred();
    const done: string[] = [];
    const controller = new Controller({
      name: "slow",
      clock,
      concurrency: 1,
      reconcile: async (key) => {
        await gate.promise;
        done.push(key);
      },
    });
    controller.start();
    controller.enqueue("a");
    controller.enqueue("b");
    await flush();
    const stopped = controller.stop(10_000);
    gate.resolve();
    expect(await stopped).toBe(true);
    expect(done).toEqual(["a"]);
  });

  it("aborts the reconcile signal when the deadline passes", async () => {
    const clock = new FakeClock();
    let aborted = false;
    const controller = new Controller({
      name: "stuck",
      clock,
      reconcile: (_key, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          }),
        ),
    });
    controller.start();
    controller.enqueue("a");
    await flush();
    const stopped = controller.stop(5000);
    clock.advance(5000);
    expect(await stopped).toBe(false);
    expect(aborted).toBe(true);
  });

  it("warns once about a reconcile still running after slowReconcileWarnMs, with its key", async () => {
    const clock = new FakeClock();
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    });
    const gate = deferred();
    const controller = new Controller({
      name: "widgets",
      kind: "Widget",
      clock,
      logger,
      slowReconcileWarnMs: 60_000,
      reconcile: async (key) => {
        if (key === "ns/stuck") await gate.promise;
      },
    });
    controller.start();
    controller.enqueue("ns/quick");
    controller.enqueue("ns/stuck");
    await flush();
    clock.advance(59_999);
    await flush();
    const warnings = () => lines.filter((l) => l.msg === "reconcile still running");
    expect(warnings()).toEqual([]);
    clock.advance(1);
    await flush();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ level: "warn", name: "stuck", namespace: "ns", runningMs: 60_000 });
    gate.resolve();
    await flush();
    clock.advance(120_000);
    await flush();
    expect(warnings()).toHaveLength(1);
    expect(await controller.stop(1000)).toBe(true);
  });
});

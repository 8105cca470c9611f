/**
 * Work queue throughput, in memory (no API server): how many keys per second the queue and the
 * controller's workers move when reconcile itself costs nothing.
 *
 *   scripts/with-node --import tsx bench/runtime-queue.ts [--adds 500000] [--keys 10000] [--workers 8]
 *
 * Three figures: raw WorkQueue add/get/done cycles (distinct keys); a Controller with N workers
 * draining distinct keys; and adds of a small key set (dedup: most adds merge into pending keys).
 * Bounded by --adds and --max-seconds.
 */
import { parseArgs } from "node:util";
import { Registry } from "prom-client";
import { Controller } from "../src/runtime/controller.ts";
import { RuntimeMetrics } from "../src/runtime/metrics.ts";
import { Priority, WorkQueue } from "../src/runtime/workqueue.ts";

const { values } = parseArgs({
  options: {
    adds: { type: "string", default: "500000" },
    keys: { type: "string", default: "10000" },
    workers: { type: "string", default: "8" },
    "max-seconds": { type: "string", default: "60" },
  },
});
const adds = Number(values.adds);
const keyCount = Number(values.keys);
const workers = Number(values.workers);
const deadline = Date.now() + Number(values["max-seconds"]) * 1000;

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString("en-US")}/s`;
}

// 1. Raw queue: add then get+done, with metrics on, priorities mixed.
{
  const queue = new WorkQueue({ name: "bench-raw", metrics: RuntimeMetrics.for(new Registry()) });
  const began = performance.now();
  let done = 0;
  for (let i = 0; i < adds && Date.now() < deadline; i += keyCount) {
    for (let k = 0; k < keyCount; k++)
      queue.add(`ns/k${i + k}`, { priority: k % 3 === 0 ? Priority.High : Priority.Low });
    for (let item = await queue.get(); item; item = queue.len() > 0 ? await queue.get() : undefined) {
      queue.done(item.key);
      done++;
    }
  }
  const ms = performance.now() - began;
  console.log(
    `raw queue: ${done.toLocaleString("en-US")} add+get+done cycles in ${ms.toFixed(0)} ms = ${rate(done, ms)}`,
  );
  queue.shutDown();
}

// 2. Controller: N workers draining distinct keys through a no-op reconcile (metrics, child loggers, ids included).
{
  let reconciled = 0;
  const controller = new Controller({
    name: "bench-controller",
    concurrency: workers,
    registry: new Registry(),
    reconcile: async () => {
      reconciled++;
    },
  });
  controller.start();
  const began = performance.now();
  const total = Math.min(adds, 200_000);
  for (let i = 0; i < total; i++) controller.enqueue(`ns/obj-${i}`);
  while (reconciled < total && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  const ms = performance.now() - began;
  console.log(
    `controller (${workers} workers): ${reconciled.toLocaleString("en-US")} reconciles in ${ms.toFixed(0)} ms = ${rate(reconciled, ms)}`,
  );
  await controller.stop(5000);
}

// 3. Dedup: many adds of few keys while workers run.
{
  let reconciled = 0;
  const controller = new Controller({
    name: "bench-dedup",
    concurrency: workers,
    registry: new Registry(),
    reconcile: async () => {
      reconciled++;
      await new Promise((r) => setImmediate(r));
    },
  });
  controller.start();
  const began = performance.now();
  let added = 0;
  while (added < adds && Date.now() < deadline) {
    for (let k = 0; k < 1000; k++) controller.enqueue(`ns/hot-${k % 100}`);
    added += 1000;
    await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - began;
  console.log(
    `dedup: ${added.toLocaleString("en-US")} adds of 100 hot keys in ${ms.toFixed(0)} ms = ${rate(added, ms)} adds, ` +
      `${reconciled.toLocaleString("en-US")} reconciles (${((1 - reconciled / added) * 100).toFixed(1)}% merged)`,
  );
  await controller.stop(5000);
}

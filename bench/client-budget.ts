/**
 * Rate-budget benchmark of src/client against the sandbox with its real limits (burst 60, 30/s
 * per token). Measures:
 *   1. one credential, 1,000 calls from 16 concurrent callers: 429 share and achieved rate;
 *   2. a forced 429 storm: the gap between a 429 and the credential's next call vs Retry-After;
 *   3. two processes' worth of clients sharing one token (separate limiters): 429 share and
 *      combined rate with adaptive slow-down;
 *   4. priorities: latency of high-priority calls while low-priority calls saturate the budget.
 * Usage: scripts/with-node --import tsx bench/client-budget.ts [--calls 1000] [--workers 16]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startSandbox, tokenLabel, type Sandbox } from "../sandbox/server.ts";
import { CloudDigitApi } from "../src/client/api/cloud-digit-api.ts";
import { StaticTokenCredential } from "../src/client/credentials/static-token.ts";
import { RateLimiterRegistry } from "../src/client/rate-limiter.ts";
import { RestClient } from "../src/client/rest-client.ts";
import { closeAllPools } from "../src/client/transport.ts";

const { values } = parseArgs({
  options: { calls: { type: "string", default: "1000" }, workers: { type: "string", default: "16" } },
});
const CALLS = Number(values.calls);
const WORKERS = Number(values.workers);
const PROJECT = "bench";

function api(sandbox: Sandbox, token: string, limiters = new RateLimiterRegistry()): CloudDigitApi {
  return new CloudDigitApi(
    new RestClient({
      endpoint: sandbox.url,
      project: PROJECT,
      credential: new StaticTokenCredential(token),
      limiters,
    }),
  );
}

async function run(total: number, workers: number, call: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) {
        next++;
        await call();
      }
    }),
  );
  return (Date.now() - started) / 1000;
}

async function budget(sandbox: Sandbox, token: string) {
  sandbox.resetCalls();
  const client = api(sandbox, token);
  const seconds = await run(CALLS, WORKERS, () => client.network.vpcs.list({ limit: 5 }));
  const calls = sandbox.calls({ token: tokenLabel(token) });
  const ok = calls.filter((c) => c.status === 200).length;
  const throttled = calls.filter((c) => c.status === 429).length;
  // Steady-state rate: excludes the initial burst, which any client gets for free.
  const sorted = calls.map((c) => c.at).sort((a, b) => a - b);
  const tail = sorted.slice(60);
  const steady = tail.length > 1 ? (tail.length - 1) / ((tail.at(-1)! - tail[0]!) / 1000) : NaN;
  return {
    ok,
    throttled,
    throttledShare: throttled / calls.length,
    seconds,
    rate: ok / seconds,
    steadyRate: steady,
  };
}

async function storm(sandbox: Sandbox, token: string, retryAfterSeconds: number) {
  sandbox.resetCalls();
  const client = api(sandbox, token);
  const fault = sandbox.faults.add({
    kind: "rate_limited",
    retryAfterSeconds,
    count: 3,
    token: tokenLabel(token),
  });
  await run(60, 4, () => client.network.vpcs.list({ limit: 1 }));
  sandbox.faults.remove(fault);
  const calls = sandbox.calls({ token: tokenLabel(token) }).sort((a, b) => a.at - b.at);
  const throttled = calls.filter((c) => c.status === 429);
  const gaps = throttled.map((r) => {
    const next = calls.find((c) => c.at > r.at + 50);
    return next ? next.at - r.at : NaN;
  });
  return { retryAfterMs: retryAfterSeconds * 1000, throttled: throttled.length, gapsMs: gaps };
}

async function shared(sandbox: Sandbox, token: string) {
  sandbox.resetCalls();
  // Two operators on one token: each has its own limiter, neither knows the other exists.
  const a = api(sandbox, token);
  const b = api(sandbox, token);
  const half = Math.floor(CALLS / 2);
  const started = Date.now();
  await Promise.all([
    run(half, WORKERS / 2, () => a.network.vpcs.list({ limit: 5 })),
    run(half, WORKERS / 2, () => b.network.vpcs.list({ limit: 5 })),
  ]);
  const seconds = (Date.now() - started) / 1000;
  const calls = sandbox.calls({ token: tokenLabel(token) });
  const ok = calls.filter((c) => c.status === 200).length;
  const throttled = calls.filter((c) => c.status === 429).length;
  return { ok, throttled, throttledShare: throttled / calls.length, seconds, rate: ok / seconds };
}

async function priorities(sandbox: Sandbox, token: string) {
  sandbox.resetCalls();
  // Background resync saturates the budget at low priority; deletes/status reads come in at high.
  const client = api(sandbox, token);
  let stop = false;
  const background = Promise.all(
    Array.from({ length: 16 }, async () => {
      while (!stop) await client.network.vpcs.list({ limit: 1 }, { priority: "low" });
    }),
  );
  await new Promise((r) => setTimeout(r, 3000));
  const waits: number[] = [];
  for (let i = 0; i < 60; i++) {
    const started = performance.now();
    await client.network.vpcs.list({ limit: 1 }, { priority: "high" });
    waits.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
  stop = true;
  await background;
  waits.sort((a, b) => a - b);
  const q = (p: number): number => waits[Math.min(waits.length - 1, Math.floor(p * waits.length))]!;
  const calls = sandbox.calls({ token: tokenLabel(token) });
  return {
    highCalls: waits.length,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: waits.at(-1)!,
    throttled: calls.filter((c) => c.status === 429).length,
    total: calls.length,
  };
}

const tokens = [
  "cd_bench_budget_000000000000000000000000",
  "cd_bench_storm_0000000000000000000000000",
  "cd_bench_shared_000000000000000000000000",
  "cd_bench_priority_0000000000000000000000",
];
const sandbox = await startSandbox({
  inspectPort: false,
  tokens: tokens.map((token) => ({ token, projects: [PROJECT] })),
});
try {
  const b = await budget(sandbox, tokens[0]!);
  console.log(
    `budget: ${b.ok} calls ok, ${b.throttled} x 429 (${(b.throttledShare * 100).toFixed(2)}%), ${b.seconds.toFixed(1)} s, ` +
      `${b.rate.toFixed(1)} req/s overall (${((b.rate / 30) * 100).toFixed(0)}% of 30), steady ${b.steadyRate.toFixed(1)} req/s`,
  );
  const s = await storm(sandbox, tokens[1]!, 2);
  console.log(
    `storm: ${s.throttled} x 429 with Retry-After ${s.retryAfterMs} ms; next call on the credential after ${s.gapsMs.join(", ")} ms`,
  );
  const sh = await shared(sandbox, tokens[2]!);
  console.log(
    `shared token, two limiters: ${sh.ok} ok, ${sh.throttled} x 429 (${(sh.throttledShare * 100).toFixed(2)}%), ${sh.rate.toFixed(1)} req/s combined`,
  );
  const p = await priorities(sandbox, tokens[3]!);
  console.log(
    `priorities: with 16 low-priority callers saturating the budget, ${p.highCalls} high-priority calls took ` +
      `p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms, max ${p.maxMs.toFixed(1)} ms; ${p.throttled} x 429 of ${p.total}`,
  );
  console.log(JSON.stringify({ budget: b, storm: s, shared: sh, priorities: p }));
} finally {
  await sandbox.close();
  await closeAllPools();
}

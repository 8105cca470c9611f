/**
 * Throughput of simple GETs against the sandbox, the way the operator's benchmarks use it:
 * the sandbox runs in its own process (the CLI, rate limiting off), the load generator here
 * keeps a fixed number of requests in flight over an undici Pool and sends a fixed total.
 *
 *   scripts/with-node --import tsx bench/sandbox-get.ts [--requests 100000] [--connections 16]
 *
 * Bounded: at most --requests requests and --max-seconds of wall time.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { Pool } from "undici";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "100000" },
    connections: { type: "string", default: "16" },
    inflight: { type: "string", default: "64" },
    "max-seconds": { type: "string", default: "60" },
  },
});
const total = Number(values.requests);
const connections = Number(values.connections);
const inflight = Number(values.inflight);
const maxMs = Number(values["max-seconds"]) * 1000;
const token = "cd_bench_token";
const project = "bench";

const child = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    "sandbox/main.ts",
    "--port",
    "0",
    "--no-rate-limit",
    "--delay-ms",
    "0",
    "--token",
    `${token}:${project}`,
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const stopChild = (): void => {
  child.kill("SIGTERM");
};
process.on("exit", stopChild);
const ready = await new Promise<{ url: string }>((resolve, reject) => {
  const rl = createInterface({ input: child.stdout });
  rl.on("line", (line) => {
    if (line.startsWith("SANDBOX_READY ")) resolve(JSON.parse(line.slice(14)) as { url: string });
  });
  child.on("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
  setTimeout(() => reject(new Error("sandbox did not start in 30 s")), 30_000).unref();
});

const pool = new Pool(ready.url, { connections, pipelining: 1 });
const headers = { "x-cd-token": token, "x-cd-project": project, "content-type": "application/json" };

const created = await pool.request({
  method: "POST",
  path: "/v1/network/vpcs",
  headers,
  body: JSON.stringify({ name: "bench", cidr: "10.0.0.0/16", tags: { bench: "true" } }),
});
const vpc = (await created.body.json()) as { id: string };
if (created.statusCode !== 202) throw new Error(`create failed: ${created.statusCode}`);

async function run(
  path: string,
  count: number,
): Promise<{ rps: number; p50: number; p99: number; errors: number; sent: number }> {
  const latencies = new Float64Array(count);
  let next = 0;
  let errors = 0;
  const deadline = performance.now() + maxMs;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      const res = await pool.request({ method: "GET", path, headers });
      await res.body.text();
      if (res.statusCode !== 200) errors++;
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const done = latencies.slice(0, next).sort();
  const pct = (p: number): number =>
    Number((done[Math.min(done.length - 1, Math.floor(done.length * p))] ?? 0).toFixed(2));
  return { rps: Math.round(next / elapsed), p50: pct(0.5), p99: pct(0.99), errors, sent: next };
}

await run(`/v1/network/vpcs/${vpc.id}`, Math.min(5000, total)); // warm-up (JIT, connections)
const single = await run(`/v1/network/vpcs/${vpc.id}`, total);
const list = await run(`/v1/network/vpcs?tag=bench:true`, total);
const os = await import("node:os");
const result = {
  machine: `${os.cpus().length} cores, node ${process.version}`,
  load_average_after: os.loadavg().map((l) => Number(l.toFixed(2))),
  connections,
  inflight,
  get_one: single,
  list_with_tag_filter: list,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
await pool.close();
stopChild();
await once(child, "exit");

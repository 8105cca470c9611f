import { Writable } from "node:stream";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, tokenLabel, type Sandbox } from "../../../sandbox/server.ts";
import { CloudDigitApi } from "../../../src/client/api/cloud-digit-api.ts";
import { StaticTokenCredential } from "../../../src/client/credentials/static-token.ts";
import { CloudDigitError } from "../../../src/client/errors.ts";
import { ClientMetrics } from "../../../src/client/metrics.ts";
import { RateLimiterRegistry } from "../../../src/client/rate-limiter.ts";
import { RestClient } from "../../../src/client/rest-client.ts";
import { createOperatorLogger } from "../../../src/main.ts";

const TOKEN = "cd_budget_0123456789abcdefghijklmnopqrstuv";
const OTHER_TOKEN = "cd_rotated_0123456789abcdefghijklmnopqrst";
const PROJECT = "client-it";

let sandbox: Sandbox;
const registry = new Registry();
const metrics = new ClientMetrics(registry);
const logLines: string[] = [];
// The operator's own logger, so "never logged" below speaks of what production would log.
const logger = createOperatorLogger(
  "trace",
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  }),
);

function clientFor(token: string, limiters = new RateLimiterRegistry()) {
  const credential = new StaticTokenCredential(token);
  const rest = new RestClient({
    endpoint: sandbox.url,
    project: PROJECT,
    credential,
    limiters,
    metrics,
    logger,
    retry: { baseDelayMs: 50, maxDelayMs: 500 },
  });
  return { api: new CloudDigitApi(rest), rest, credential };
}

/** Runs `total` calls through `workers` concurrent loops. */
async function runCalls(total: number, workers: number, call: () => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) {
        next++;
        await call();
      }
    }),
  );
}

beforeAll(async () => {
  sandbox = await startSandbox({
    inspectPort: false,
    tokens: [
      { token: TOKEN, projects: [PROJECT] },
      { token: OTHER_TOKEN, projects: [PROJECT] },
    ],
    delays: { vpc: 50, subnet: 50, server: 50, volume: 50 },
  });
});

afterAll(async () => {
  await sandbox?.close();
});

describe("rate budget against the sandbox's real limits (burst 60, 30/s)", () => {
  it("1,000 calls through one credential draw at most 1% 429s", async () => {
    const { api } = clientFor(TOKEN);
    sandbox.resetCalls();
    const started = Date.now();
    await runCalls(1000, 16, () => api.network.vpcs.list({ limit: 5 }));
    const seconds = (Date.now() - started) / 1000;
    const calls = sandbox.calls({ token: tokenLabel(TOKEN) });
    const throttled = calls.filter((c) => c.status === 429).length;
    const ok = calls.filter((c) => c.status === 200).length;
    console.log(
      `[budget] ${ok} ok, ${throttled} 429 in ${seconds.toFixed(1)} s = ${(ok / seconds).toFixed(1)} req/s`,
    );
    expect(ok).toBe(1000);
    expect(throttled).toBeLessThanOrEqual(10);
  }, 90_000);

  it("a 429 storm pauses the credential for the announced Retry-After", async () => {
    const { api } = clientFor(TOKEN);
    const retryAfterSeconds = 2;
    sandbox.resetCalls();
    const fault = sandbox.faults.add({
      kind: "rate_limited",
      retryAfterSeconds,
      count: 3,
      token: tokenLabel(TOKEN),
    });
    await runCalls(40, 4, () => api.network.vpcs.list({ limit: 1 }));
    sandbox.faults.remove(fault);
    const calls = sandbox.calls({ token: tokenLabel(TOKEN) }).sort((a, b) => a.at - b.at);
    const storm = calls.filter((c) => c.status === 429);
    expect(storm).toHaveLength(3);
    for (const r of storm) expect(r.retry_after).toBe(retryAfterSeconds);
    // Calls already on the wire when the 429 was answered may arrive just after it; anything the
    // client sent later must wait the whole Retry-After.
    const inFlightGraceMs = 50;
    for (const r of storm) {
      const early = calls.filter(
        (c) => c.at > r.at + inFlightGraceMs && c.at < r.at + retryAfterSeconds * 1000,
      );
      expect(early).toEqual([]);
    }
    const firstAfter = calls.find((c) => c.at > storm[0]!.at + inFlightGraceMs);
    console.log(
      `[storm] first call after the first 429 came ${firstAfter!.at - storm[0]!.at} ms later (Retry-After ${retryAfterSeconds} s)`,
    );
    expect(calls.filter((c) => c.status === 200)).toHaveLength(40);
    const throttledMetric = await registry.getSingleMetric("clouddigit_api_throttled_total")?.get();
    expect(throttledMetric?.values[0]?.value).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

describe("idempotent creates", () => {
  it("a POST whose response is lost is retried with the same Idempotency-Key and creates exactly one resource", async () => {
    const { api } = clientFor(OTHER_TOKEN);
    sandbox.resetCalls();
    const fault = sandbox.faults.add({
      kind: "drop_after",
      method: "POST",
      path: "/v1/network/vpcs",
      count: 1,
    });
    const vpc = await api.network.vpcs.create(
      { name: "crash-safe", cidr: "10.20.0.0/16", tags: { "clouddigit.ai/owner": "uid-1234" } },
      { idempotencyKey: "uid-1234/create" },
    );
    sandbox.faults.remove(fault);
    const posts = sandbox.calls({ method: "POST", template: "/v1/network/vpcs" });
    expect(posts.map((c) => c.dropped)).toEqual([true, false]);
    const stored = sandbox.state
      .list({ project: PROJECT, kind: "vpc" })
      .filter((r) => r.name === "crash-safe");
    expect(stored.map((r) => r.id)).toEqual([vpc.id]);
  });

  it("a POST without an Idempotency-Key is not repeated after a lost response", async () => {
    const { rest } = clientFor(OTHER_TOKEN);
    sandbox.resetCalls();
    const fault = sandbox.faults.add({
      kind: "drop_after",
      method: "POST",
      path: "/v1/network/vpcs",
      count: 1,
    });
    const err = await rest
      .request({
        service: "network",
        operation: "createVpc",
        method: "POST",
        path: "/network/vpcs",
        body: { name: "no-key", cidr: "10.21.0.0/16" },
      })
      .catch((e: unknown) => e);
    sandbox.faults.remove(fault);
    expect(err).toBeInstanceOf(CloudDigitError);
    expect((err as CloudDigitError).kind).toBe("transient");
    expect(sandbox.calls({ method: "POST" })).toHaveLength(1);
  });
});

describe("typed calls", () => {
  it("creates a network, compute and storage stack and observes it with one filtered list per kind", async () => {
    const { api } = clientFor(OTHER_TOKEN);
    const owner = { "clouddigit.ai/owner": "stack-1" };
    const vpc = await api.network.vpcs.create(
      { name: "stack", cidr: "10.30.0.0/16", tags: owner },
      { idempotencyKey: "stack/vpc" },
    );
    await waitForState(() => api.network.vpcs.get(vpc.id), "active");
    const subnet = await api.network.subnets.create(
      { name: "stack-a", vpc_id: vpc.id, cidr: "10.30.1.0/24", zone: "bd-dha-1a", tags: owner },
      { idempotencyKey: "stack/subnet" },
    );
    await waitForState(() => api.network.subnets.get(subnet.id), "active");
    const flavors = await api.compute.flavors();
    expect(flavors.map((f) => f.name)).toContain("std-2x8");
    const images = await api.compute.images();
    expect(images.map((i) => i.name)).toContain("ubuntu-24.04");
    const key = await api.compute.sshKeys.create(
      {
        name: "stack-key",
        public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcdiBDlqBn2KHvZ1wU7vA3LlQFqZ7dEX2nIk9x7p2bm test",
      },
      { idempotencyKey: "stack/key" },
    );
    expect(key.fingerprint).toMatch(/^SHA256:/);
    const server = await api.compute.servers.create(
      {
        name: "stack-vm",
        flavor: "std-2x8",
        image: "ubuntu-24.04",
        subnet_id: subnet.id,
        ssh_key_ids: [key.id],
        tags: owner,
      },
      { idempotencyKey: "stack/server" },
    );
    await waitForState(() => api.compute.servers.get(server.id), "active");
    const volume = await api.storage.volumes.create(
      { name: "stack-data", size_gib: 20, zone: "bd-dha-1a", tags: owner },
      { idempotencyKey: "stack/volume" },
    );
    await waitForState(() => api.storage.volumes.get(volume.id), "available");
    await api.storage.volumes.attach(volume.id, server.id, { idempotencyKey: "stack/attach" });
    expect((await waitForState(() => api.storage.volumes.get(volume.id), "in_use")).server_id).toBe(
      server.id,
    );
    await api.compute.servers.action(server.id, { type: "stop" }, { idempotencyKey: "stack/stop" });
    await waitForState(() => api.compute.servers.get(server.id), "stopped");

    const byTag = await api.network.vpcs.listAll({ tags: owner });
    expect(byTag.map((v) => v.id)).toEqual([vpc.id]);
    const byIds = await api.network.subnets.listAll({ ids: [subnet.id] });
    expect(byIds.map((s) => s.cidr)).toEqual(["10.30.1.0/24"]);
    const updated = await api.network.vpcs.update(vpc.id, { tags: { ...owner, env: "test" } });
    expect(updated.tags).toMatchObject({ env: "test" });

    expect(
      await api.storage.volumes.detach(volume.id, server.id, { idempotencyKey: "stack/detach" }),
    ).toMatchObject({ id: volume.id });
    await waitForState(() => api.storage.volumes.get(volume.id), "available");
    expect(await api.storage.volumes.delete(volume.id)).toBe("accepted");
    expect(await api.compute.servers.delete(server.id)).toBe("accepted");
    await waitUntilGone(() => api.compute.servers.find(server.id));
    expect(await api.compute.servers.delete(server.id)).toBe("gone");
  });

  it("paginates with cursors", async () => {
    const { api } = clientFor(OTHER_TOKEN);
    for (let i = 0; i < 5; i++) {
      await api.compute.sshKeys.create(
        { name: `page-${i}`, public_key: PUBLIC_KEYS[i]!, tags: { page: "yes" } },
        { idempotencyKey: `page-${i}` },
      );
    }
    const first = await api.compute.sshKeys.list({ limit: 2, tags: { page: "yes" } });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBeDefined();
    const all = await api.compute.sshKeys.listAll({ limit: 2, tags: { page: "yes" } });
    expect(all.map((k) => k.name)).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4"]);
  });

  it("maps errors to kinds: not found, invalid (terminal), unauthenticated (terminal)", async () => {
    const { api } = clientFor(OTHER_TOKEN);
    expect(await api.network.vpcs.find("vpc_01JAAAAAAAAAAAAAAAAAAAAAAA")).toBeUndefined();
    const invalid = await api.network.vpcs
      .create({ name: "bad", cidr: "10.0.0.0/8" }, { idempotencyKey: "bad-cidr" })
      .catch((e: unknown) => e as CloudDigitError);
    expect(invalid).toMatchObject({ kind: "invalid", terminal: true, status: expect.any(Number) as unknown });
    const unknown = clientFor("cd_unknown_token_value_that_is_not_configured");
    const unauth = (await unknown.api.network.vpcs.list().catch((e: unknown) => e)) as CloudDigitError;
    expect(unauth).toMatchObject({ kind: "unauthenticated", terminal: true });
    expect(unauth.message).not.toContain("cd_unknown");
  });

  it("picks up a rotated token without a new client", async () => {
    const { api, credential } = clientFor("cd_stale_token_value_no_longer_valid_000");
    await expect(api.regions()).rejects.toMatchObject({ kind: "unauthenticated" });
    credential.update(OTHER_TOKEN);
    expect((await api.regions()).length).toBeGreaterThan(0);
  });

  it("never logged a token", () => {
    expect(logLines.length).toBeGreaterThan(100);
    const all = logLines.join("");
    for (const t of [
      TOKEN,
      OTHER_TOKEN,
      "cd_unknown_token_value_that_is_not_configured",
      "cd_stale_token_value_no_longer_valid_000",
    ]) {
      expect(all.includes(t)).toBe(false);
    }
  });
});

const PUBLIC_KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlkXg0v0vJ5sHn4ULEoZ6mzkQn3hS3nvm4aGHMGv7gR p0",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq9f0pAPUsGUTvXZbQ6tT6P3FBfM3Qy1m4UKz1j3n2K p1",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE5oGxV2bR7Jk1W3LzA9sXq0dF8uPz1cYt6bNn2mQw3L p2",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHfTqk3h9XwB2Vd6Ls1oRz7Pp0cUe4mYa8jNn5tKx2Qb p3",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDh2Xo7Ww1Mv9cKq3sTb6Ap4Lz0nEe8rYu5iJf2gHk1N p4",
];

async function waitForState<T extends { state: string }>(get: () => Promise<T>, state: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const r = await get();
    if (r.state === state) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`never reached ${state}`);
}

async function waitUntilGone(find: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await find()) === undefined) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("never gone");
}

import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, startSandbox, type Sandbox, type SandboxOptions } from "./server.ts";
import { eventually } from "./testing/fixtures.ts";

const TOKEN = "cd_faults";
const OTHER = "cd_faults_other";
let sandboxes: Sandbox[] = [];

async function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await startSandbox({
    tokens: [
      { token: TOKEN, projects: ["p"], name: "main" },
      { token: OTHER, projects: ["p"], name: "other" },
    ],
    rateLimit: false,
    delays: { vpc: 0, subnet: 0, server: 0, volume: 0 },
    ...options,
  });
  sandboxes.push(sb);
  return sb;
}
afterEach(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
  sandboxes = [];
});

async function call(
  sb: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  token = TOKEN,
): Promise<Response> {
  return fetch(`${sb.apiUrl}${path}`, {
    method,
    headers: { "x-cd-token": token, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("request faults", () => {
  it("a seeded 5xx rate hits the same requests on every run", async () => {
    const statuses = async (): Promise<number[]> => {
      const sb = await sandbox({ seed: 42, faults: [{ kind: "internal", rate: 0.3 }] });
      const out: number[] = [];
      for (let i = 0; i < 200; i++) out.push((await call(sb, "GET", "/network/vpcs")).status);
      return out;
    };
    const first = await statuses();
    const second = await statuses();
    expect(second).toEqual(first);
    const failures = first.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(90);
    expect(new Set(first)).toEqual(new Set([200, 500]));
  });

  it("503 carries the configured Retry-After (or none with 0)", async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: "unavailable", retryAfterSeconds: 7, count: 1 });
    const r = await call(sb, "GET", "/network/vpcs");
    expect([r.status, r.headers.get("retry-after")]).toEqual([503, "7"]);
    sb.faults.add({ kind: "unavailable", retryAfterSeconds: 0, count: 1 });
    const r2 = await call(sb, "GET", "/network/vpcs");
    expect([r2.status, r2.headers.get("retry-after")]).toEqual([503, null]);
    expect((await call(sb, "GET", "/network/vpcs")).status).toBe(200);
  });

  it("matches rules by method, path template and token, and expires them by count", async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: "internal", method: "POST", path: "/v1/network/vpcs", token: "main", count: 2 });
    const body = { name: "v", cidr: "10.0.0.0/16" };
    expect((await call(sb, "GET", "/network/vpcs")).status).toBe(200);
    expect((await call(sb, "POST", "/network/vpcs", body, OTHER)).status).toBe(202);
    expect((await call(sb, "POST", "/network/vpcs", body)).status).toBe(500);
    expect((await call(sb, "POST", "/network/vpcs", body)).status).toBe(500);
    expect((await call(sb, "POST", "/network/vpcs", body)).status).toBe(202);
    expect(sb.faults.list()).toEqual([]);
    expect(sb.state.list({ kind: "vpc" })).toHaveLength(2); // failed requests changed nothing
  });

  it("a 429 storm lasts its duration (sandbox clock), whatever the token's bucket says", async () => {
    const clock = new ManualClock();
    const sb = await sandbox({ clock });
    sb.faults.add({ kind: "rate_limited", durationMs: 5000, retryAfterSeconds: 5 });
    const r = await call(sb, "GET", "/network/vpcs");
    expect([r.status, r.headers.get("retry-after")]).toEqual([429, "5"]);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    clock.advance(4999);
    expect((await call(sb, "GET", "/network/vpcs")).status).toBe(429);
    clock.advance(1);
    expect((await call(sb, "GET", "/network/vpcs")).status).toBe(200);
  });

  it("adds latency", async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: "latency", latencyMs: 150, count: 1 });
    const started = performance.now();
    expect((await call(sb, "GET", "/network/vpcs")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("drops the connection before handling: nothing is created", async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: "drop", method: "POST", count: 1 });
    await expect(call(sb, "POST", "/network/vpcs", { name: "v", cidr: "10.0.0.0/16" })).rejects.toThrow();
    expect(sb.state.list()).toEqual([]);
    expect(sb.calls()).toMatchObject([
      { status: 0, dropped: true, method: "POST", template: "/v1/network/vpcs" },
    ]);
  });

  it("drops the connection after handling: the create happened", async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: "drop_after", method: "POST", count: 1 });
    await expect(call(sb, "POST", "/network/vpcs", { name: "v", cidr: "10.0.0.0/16" })).rejects.toThrow();
    expect(sb.state.list({ kind: "vpc" })).toHaveLength(1);
  });

  it("ignore: a matching PATCH is checked and answered 200 with the resource unchanged", async () => {
    const sb = await sandbox();
    const vpc = (await (
      await call(sb, "POST", "/network/vpcs", { name: "v", cidr: "10.0.0.0/16", description: "before" })
    ).json()) as { id: string };
    await eventually(() => sb.state.get(vpc.id)?.state === "active", "vpc active");
    const stored = structuredClone(sb.state.get(vpc.id));
    sb.faults.add({ kind: "ignore", path: "/v1/network/vpcs/{id}", token: "main", count: 2 });
    // Other methods on the path do not match and do not count.
    expect((await call(sb, "GET", `/network/vpcs/${vpc.id}`)).status).toBe(200);
    const ignored = await call(sb, "PATCH", `/network/vpcs/${vpc.id}`, { description: "after" });
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toEqual(stored);
    expect(sb.state.get(vpc.id)).toEqual(stored);
    // It is still checked as the real PATCH is: a bad body is 400, and counts (a hit is a match).
    expect((await call(sb, "PATCH", `/network/vpcs/${vpc.id}`, { cidr: "10.1.0.0/16" })).status).toBe(400);
    expect(sb.faults.list()).toEqual([]);
    // Another token's PATCH was never matched; after the rule expired, PATCHes apply again.
    expect(
      (
        (await (await call(sb, "PATCH", `/network/vpcs/${vpc.id}`, { description: "x" }, OTHER)).json()) as {
          description: string;
        }
      ).description,
    ).toBe("x");
    expect(sb.state.get(vpc.id)).toMatchObject({ description: "x" });
  });

  it("ignore: nothing is started either (a volume grow stays undone) and missing resources are 404", async () => {
    const sb = await sandbox({ delays: { volume: 5 } });
    const volume = (await (
      await call(sb, "POST", "/storage/volumes", { name: "d", size_gib: 10, zone: "bd-dha-1a" })
    ).json()) as { id: string };
    await eventually(() => sb.state.get(volume.id)?.state === "available", "volume available");
    sb.faults.add({ kind: "ignore" });
    const ignored = await call(sb, "PATCH", `/storage/volumes/${volume.id}`, { size_gib: 20 });
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toMatchObject({ size_gib: 10, state: "available" });
    await new Promise((r) => setTimeout(r, 30));
    expect(sb.state.get(volume.id)).toMatchObject({ size_gib: 10, state: "available" });
    expect(sb.state.transitions()).toEqual([]);
    expect((await call(sb, "PATCH", `/storage/volumes/${volume.id}`, { size_gib: 5 })).status).toBe(422);
    expect(
      (await call(sb, "PATCH", "/storage/volumes/vol_00000000000000000000000000", { size_gib: 20 })).status,
    ).toBe(404);
    // POST, DELETE never match an ignore rule.
    expect((await call(sb, "DELETE", `/storage/volumes/${volume.id}`)).status).toBe(202);
    expect(sb.faults.list()).toMatchObject([{ kind: "ignore", hits: 3 }]);
  });

  it("shows active rules on the inspection endpoint", async () => {
    const sb = await sandbox();
    const id = sb.faults.add({ kind: "internal", rate: 0.5, path: "/v1/compute/servers" });
    const listed = (await (await fetch(`${sb.inspectUrl}/faults`)).json()) as {
      items: { id: string; kind: string }[];
    };
    expect(listed.items).toMatchObject([{ id, kind: "internal" }]);
    sb.faults.clear();
    expect(sb.faults.list()).toEqual([]);
  });
});

describe("lifecycle faults", () => {
  async function vpcAndSubnet(sb: Sandbox): Promise<string> {
    const vpc = (await (
      await call(sb, "POST", "/network/vpcs", { name: "v", cidr: "10.0.0.0/16" })
    ).json()) as { id: string };
    await eventually(() => sb.state.get(vpc.id)?.state === "active", "vpc active");
    const subnet = (await (
      await call(sb, "POST", "/network/subnets", {
        name: "s",
        vpc_id: vpc.id,
        cidr: "10.0.1.0/24",
        zone: "bd-dha-1a",
      })
    ).json()) as { id: string };
    await eventually(() => sb.state.get(subnet.id)?.state === "active", "subnet active");
    return subnet.id;
  }

  it("stuck transitions stay in their transitional state until released", async () => {
    const sb = await sandbox({ delays: { server: 5 } });
    const subnetId = await vpcAndSubnet(sb);
    sb.faults.stickTransitions({ kind: "server" });
    const server = (await (
      await call(sb, "POST", "/compute/servers", {
        name: "a",
        flavor: "std-1x4",
        image: "debian-12",
        subnet_id: subnetId,
      })
    ).json()) as { id: string };
    await new Promise((r) => setTimeout(r, 50));
    expect(sb.state.get(server.id)?.state).toBe("building");
    expect(sb.state.transitions()).toMatchObject([{ id: server.id, to: "active", operation: "create" }]);
    sb.faults.unstickTransitions();
    expect(sb.state.get(server.id)?.state).toBe("active");
  });

  it("failNextTransitions turns the next matching transition into error, with a reason", async () => {
    const sb = await sandbox();
    const subnetId = await vpcAndSubnet(sb);
    sb.faults.failNextTransitions({ kind: "server", operation: "create" }, 1);
    const body = { name: "a", flavor: "std-1x4", image: "debian-12", subnet_id: subnetId };
    const failed = (await (await call(sb, "POST", "/compute/servers", body)).json()) as { id: string };
    const fine = (await (await call(sb, "POST", "/compute/servers", body)).json()) as { id: string };
    await eventually(() => sb.state.get(failed.id)?.state === "error", "server error");
    await eventually(() => sb.state.get(fine.id)?.state === "active", "server active");
    const seen = (await (await call(sb, "GET", `/compute/servers/${failed.id}`)).json()) as {
      state: string;
      state_reason: string;
    };
    expect(seen).toMatchObject({
      state: "error",
      state_reason: "the create operation failed (injected fault)",
    });
    // Resources in error can be deleted.
    expect((await call(sb, "DELETE", `/compute/servers/${failed.id}`)).status).toBe(202);
    await eventually(() => sb.state.get(failed.id) === undefined, "deleted");
  });

  it("forceError puts a resource into error at once; out-of-band removal and drift are possible", async () => {
    const sb = await sandbox();
    const subnetId = await vpcAndSubnet(sb);
    expect(sb.faults.forceError(subnetId, "hardware failure")).toBe(true);
    expect(sb.state.get(subnetId)).toMatchObject({ state: "error", state_reason: "hardware failure" });
    expect(sb.faults.forceError("vpc_00000000000000000000000000")).toBe(false);
    const vpcId = (sb.state.list({ kind: "vpc" })[0] as { id: string }).id;
    sb.state.patch(vpcId, { tags: { changed: "by-hand" } });
    expect(
      ((await (await call(sb, "GET", `/network/vpcs/${vpcId}`)).json()) as { tags: unknown }).tags,
    ).toEqual({ changed: "by-hand" });
    expect(sb.state.remove(subnetId)).toBe(true);
    expect((await call(sb, "GET", `/network/subnets/${subnetId}`)).status).toBe(404);
  });
});

describe("inspection endpoint", () => {
  it("serves calls, counts, resources, transitions and settings read-only", async () => {
    const sb = await sandbox({ delays: { vpc: 60_000 } });
    const created = (await (
      await call(sb, "POST", "/network/vpcs", { name: "v", cidr: "10.0.0.0/16" })
    ).json()) as { id: string };
    await call(sb, "GET", `/network/vpcs/${created.id}`);
    const get = async (path: string): Promise<unknown> => (await fetch(`${sb.inspectUrl}${path}`)).json();
    expect(await get("/resources?project=p&kind=vpc")).toMatchObject({
      items: [{ id: created.id, state: "creating" }],
    });
    expect(await get("/resources?kind=server")).toEqual({ items: [] });
    expect(await get("/transitions")).toMatchObject({
      items: [{ id: created.id, to: "active", operation: "create" }],
    });
    expect(await get("/calls?method=get&path=/v1/network/vpcs/{id}")).toMatchObject({
      calls: [{ method: "GET", template: "/v1/network/vpcs/{id}", status: 200, token: "main", project: "p" }],
    });
    expect(await get("/counts")).toMatchObject({
      total: 2,
      by_status: { "200": 1, "202": 1 },
      by_token: { main: 2 },
    });
    expect(await get("/settings")).toMatchObject({
      region: "bd-dha-1",
      quotas: { vpcs: 5 },
      rate_limit: false,
    });
    expect((await fetch(`${sb.inspectUrl}/calls`, { method: "DELETE" })).status).toBe(405);
    // Inspection calls are not API calls.
    expect(sb.counts().total).toBe(2);
  });
});

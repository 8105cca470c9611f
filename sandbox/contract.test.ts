import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allRoutes } from "./api/routes.ts";
import { ManualClock, startSandbox, type Sandbox } from "./server.ts";
import { ContractChecker, type CallOptions, type ContractResponse } from "./testing/contract.ts";
import { ed25519PublicKey, eventually } from "./testing/fixtures.ts";

// Contract tests: every answer of the running sandbox is checked against sandbox/openapi.yaml
// (declared status, body schema, required headers, envelope request_id), and the last test
// asserts that every (method, path, status) and every error code the document declares was
// actually produced by the scenarios above it.

const TOKEN = "cd_contract_main";
const OTHER = "cd_contract_other";
const READ_ONLY = "cd_contract_readonly";
const ZERO_ID = "0".repeat(26);

const checker = new ContractChecker();
let sb: Sandbox;

type Json = Record<string, unknown> & { id: string; state: string };

function client(project: string) {
  return (method: string, path: string, opts: CallOptions = {}): Promise<ContractResponse> =>
    checker.call(sb.url, method, `/v1${path}`, { token: TOKEN, project, ...opts });
}

/** Sends a request the sandbox should accept, and checks that the document accepts its body too. */
async function ok(
  api: ReturnType<typeof client>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Json> {
  if (body !== undefined) expect(checker.requestErrors(method, `/v1${path.split("?")[0]}`, body)).toEqual([]);
  const res = await api(method, path, body === undefined ? {} : { body });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body as Json;
}

async function expectError(
  res: Promise<ContractResponse>,
  status: number,
  code: string,
): Promise<ContractResponse> {
  const r = await res;
  expect({ status: r.status, code: r.code, body: r.body }).toMatchObject({ status, code });
  return r;
}

const stateOf = (id: string): string | undefined => sb.state.get(id)?.state;
const waitState = (id: string, state: string): Promise<void> =>
  eventually(() => stateOf(id) === state, `${id} to be ${state}`);

beforeAll(async () => {
  sb = await startSandbox({
    tokens: [
      { token: TOKEN, projects: "*", name: "main" },
      { token: OTHER, projects: ["beta"], name: "other" },
      { token: READ_ONLY, projects: ["ro"], name: "readonly", readOnly: true },
    ],
    rateLimit: false,
    delays: { vpc: 0, subnet: 0, server: 0, volume: 0 },
    seed: 3,
  });
});
afterAll(async () => {
  await sb.close();
});

describe("document and implementation agree", () => {
  it("every operation of the document is served, and nothing else", () => {
    const documented = checker.operations.map((op) => `${op.method} ${op.template}`).sort();
    const served = allRoutes()
      .map((r) => `${r.method} ${r.template}`)
      .sort();
    expect(served).toEqual(documented);
  });
});

describe("catalogs", () => {
  const api = client("catalog");
  it("lists and gets regions, flavors and images", async () => {
    const regions = await ok(api, "GET", "/regions");
    expect((regions.items as { name: string; zones: string[] }[]).map((r) => r.name)).toEqual([
      "bd-dha-1",
      "bd-ctg-1",
      "bd-syl-1",
    ]);
    expect((await ok(api, "GET", "/regions/bd-ctg-1")).zones).toEqual([
      "bd-ctg-1a",
      "bd-ctg-1b",
      "bd-ctg-1c",
    ]);
    const mem = await ok(api, "GET", "/compute/flavors?family=mem");
    expect((mem.items as { name: string }[]).map((f) => f.name)).toContain("mem-64x512");
    expect((await ok(api, "GET", "/compute/flavors/cpu-96x192")).vcpus).toBe(96);
    expect((await ok(api, "GET", "/compute/images?os=windows")).items).toHaveLength(3);
    expect((await ok(api, "GET", "/compute/images/debian-12")).min_disk_gib).toBe(10);
    await expectError(api("GET", "/compute/flavors/std-3x12"), 404, "not_found");
    await expectError(api("GET", "/compute/flavors?family=gpu"), 400, "invalid_request");
  });

  it("catalogs need credentials but no project", async () => {
    const res = await checker.call(sb.url, "GET", "/v1/compute/images", { token: OTHER });
    expect(res.status).toBe(200);
  });
});

describe("network", () => {
  const project = "net";
  const api = client(project);
  let vpc: Json;

  it("creates a VPC asynchronously (202, creating -> active) with a Location", async () => {
    const body = { name: "main", cidr: "10.10.0.0/16", description: "d", tags: { env: "test", team: "a" } };
    const res = await api("POST", "/network/vpcs", { body });
    expect(res.status).toBe(202);
    vpc = res.body as Json;
    expect(vpc).toMatchObject({ state: "creating", cidr: "10.10.0.0/16", project, tags: body.tags });
    expect(vpc.id).toMatch(/^vpc_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(res.headers.get("location")).toBe(`/v1/network/vpcs/${vpc.id}`);
    await waitState(vpc.id, "active");
    expect((await ok(api, "GET", `/network/vpcs/${vpc.id}`)).state).toBe("active");
  });

  it.each([
    ["too large", "10.0.0.0/8"],
    ["too small", "10.0.0.0/25"],
    ["host bits", "10.0.0.1/16"],
    ["public range", "8.8.0.0/16"],
    ["not a CIDR", "ten.0.0.0/16"],
  ])(
    "rejects a VPC CIDR that is %s (400: the document's VpcCidr says which ranges are valid)",
    async (_why, cidr) => {
      const r = await expectError(
        api("POST", "/network/vpcs", { body: { name: "x", cidr } }),
        400,
        "invalid_request",
      );
      expect((r.body as { error: { details: { field: string } } }).error.details.field).toBe("cidr");
    },
  );

  it("lists with tag filters, id filters and cursor pagination", async () => {
    const second = await ok(api, "POST", "/network/vpcs", {
      name: "second",
      cidr: "10.10.0.0/16",
      tags: { env: "test" },
    });
    const third = await ok(api, "POST", "/network/vpcs", {
      name: "third",
      cidr: "192.168.0.0/24",
      tags: { env: "prod" },
    });
    const names = (r: Json): string[] => (r.items as Json[]).map((i) => i.name as string);
    expect(names(await ok(api, "GET", "/network/vpcs?tag=env:test"))).toEqual(["main", "second"]);
    expect(names(await ok(api, "GET", "/network/vpcs?tag=env:test&tag=team:a"))).toEqual(["main"]);
    expect(names(await ok(api, "GET", "/network/vpcs?tag=team"))).toEqual(["main"]);
    expect(names(await ok(api, "GET", `/network/vpcs?ids=${third.id},${vpc.id}`))).toEqual(["main", "third"]);
    expect(names(await ok(api, "GET", `/network/vpcs?id=${second.id}&id=${third.id}`))).toEqual([
      "second",
      "third",
    ]);
    expect(names(await ok(api, "GET", `/network/vpcs?name=third&state=${stateOf(third.id)}`))).toEqual([
      "third",
    ]);
    expect(names(await ok(api, "GET", "/network/vpcs?name=third&state=deleting"))).toEqual([]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await ok(api, "GET", `/network/vpcs?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...names(page));
      cursor = page.next_cursor as string | null;
    } while (cursor);
    expect(seen).toEqual(["main", "second", "third"]);
    await expectError(api("GET", "/network/vpcs?limit=0"), 400, "invalid_request");
    await expectError(api("GET", "/network/vpcs?cursor=%%%"), 400, "invalid_request");
    await expectError(api("GET", "/network/vpcs?id=subnet_" + ZERO_ID), 400, "invalid_request");
    // VPCs in other projects are invisible.
    expect((await ok(client("elsewhere"), "GET", "/network/vpcs")).items).toEqual([]);
    await expectError(client("elsewhere")("GET", `/network/vpcs/${vpc.id}`), 404, "not_found");
  });

  it("updates mutable fields with PATCH (tags replace the map)", async () => {
    const updated = await ok(api, "PATCH", `/network/vpcs/${vpc.id}`, {
      description: "new",
      tags: { env: "test" },
    });
    expect(updated).toMatchObject({ description: "new", tags: { env: "test" }, cidr: "10.10.0.0/16" });
    await expectError(
      api("PATCH", `/network/vpcs/${vpc.id}`, { body: { cidr: "10.11.0.0/16" } }),
      400,
      "invalid_request",
    );
  });

  it("enforces the VPC quota (default 5) and the budget hard-stop", async () => {
    for (let i = 0; i < 2; i++)
      await ok(api, "POST", "/network/vpcs", { name: `fill-${i}`, cidr: "10.20.0.0/16" });
    const r = await expectError(
      api("POST", "/network/vpcs", { body: { name: "sixth", cidr: "10.30.0.0/16" } }),
      403,
      "quota_exceeded",
    );
    expect((r.body as { error: { details: unknown } }).error.details).toEqual({ quota: "vpcs", limit: 5 });
    sb.setBudgetExceeded(true, project);
    await expectError(
      api("POST", "/network/subnets", { body: subnetBody(vpc.id, "10.10.9.0/24") }),
      403,
      "budget_exceeded",
    );
    sb.setBudgetExceeded(false, project);
  });

  const subnetBody = (vpcId: string, cidr: string, zone = "bd-dha-1a") => ({
    name: "sn",
    vpc_id: vpcId,
    cidr,
    zone,
  });

  it("validates subnets: inside the VPC, no overlap, zone of the region, VPC active", async () => {
    const subnet = await ok(api, "POST", "/network/subnets", subnetBody(vpc.id, "10.10.1.0/24"));
    expect(subnet).toMatchObject({ state: "creating", gateway_ip: "10.10.1.1", zone: "bd-dha-1a" });
    await waitState(subnet.id, "active");
    await expectError(
      api("POST", "/network/subnets", { body: subnetBody(vpc.id, "10.10.1.128/25") }),
      409,
      "conflict",
    );
    await expectError(
      api("POST", "/network/subnets", { body: subnetBody(vpc.id, "10.11.0.0/24") }),
      422,
      "invalid_request",
    );
    await expectError(
      api("POST", "/network/subnets", { body: subnetBody(vpc.id, "10.10.2.0/29") }),
      400, // smaller than a /28: outside the document's SubnetCidr
      "invalid_request",
    );
    await expectError(
      api("POST", "/network/subnets", { body: subnetBody(vpc.id, "10.10.2.0/24", "bd-ctg-1a") }),
      422,
      "invalid_request",
    );
    await expectError(
      api("POST", "/network/subnets", { body: subnetBody(`vpc_${ZERO_ID}`, "10.10.2.0/24") }),
      422,
      "invalid_request",
    );
    expect((await ok(api, "GET", `/network/subnets?vpc_id=${vpc.id}`)).items).toHaveLength(1);
    expect((await ok(api, "PATCH", `/network/subnets/${subnet.id}`, { name: "renamed" })).name).toBe(
      "renamed",
    );
    expect((await ok(api, "GET", `/network/subnets/${subnet.id}`)).name).toBe("renamed");

    sb.faults.stickTransitions({ kind: "vpc", operation: "create" });
    const fresh = await ok(client("net2"), "POST", "/network/vpcs", { name: "slow", cidr: "10.0.0.0/16" });
    await expectError(
      client("net2")("POST", "/network/subnets", { body: subnetBody(fresh.id, "10.0.1.0/24") }),
      409,
      "invalid_state",
    );
    sb.faults.unstickTransitions();
    await waitState(fresh.id, "active");
  });

  it("refuses to delete a VPC with subnets (409 in_use); deletes asynchronously (202, then 404)", async () => {
    const r = await expectError(api("DELETE", `/network/vpcs/${vpc.id}`), 409, "in_use");
    expect(
      (r.body as { error: { details: { subnet_ids: string[] } } }).error.details.subnet_ids,
    ).toHaveLength(1);
    const subnets = (await ok(api, "GET", `/network/subnets?vpc_id=${vpc.id}`)).items as Json[];
    sb.faults.stickTransitions({ operation: "delete" });
    for (const s of subnets)
      expect((await ok(api, "DELETE", `/network/subnets/${s.id}`)).state).toBe("deleting");
    const sid = subnets[0]?.id as string;
    await expectError(
      api("PATCH", `/network/subnets/${sid}`, { body: { name: "late" } }),
      409,
      "invalid_state",
    );
    expect((await ok(api, "DELETE", `/network/subnets/${sid}`)).state).toBe("deleting"); // repeat is fine
    await expectError(api("DELETE", `/network/vpcs/${vpc.id}`), 409, "in_use"); // subnet still deleting
    sb.faults.unstickTransitions();
    await eventually(() => sb.state.get(sid) === undefined, "subnet gone");
    await expectError(api("GET", `/network/subnets/${sid}`), 404, "not_found");
    sb.faults.stickTransitions({ operation: "delete" });
    expect((await ok(api, "DELETE", `/network/vpcs/${vpc.id}`)).state).toBe("deleting");
    await expectError(
      api("PATCH", `/network/vpcs/${vpc.id}`, { body: { name: "late" } }),
      409,
      "invalid_state",
    );
    expect((await ok(api, "DELETE", `/network/vpcs/${vpc.id}`)).state).toBe("deleting");
    sb.faults.unstickTransitions();
    await eventually(() => sb.state.get(vpc.id) === undefined, "vpc gone");
    await expectError(api("GET", `/network/vpcs/${vpc.id}`), 404, "not_found");
    await expectError(api("DELETE", `/network/vpcs/${vpc.id}`), 404, "not_found");
  });
});

describe("ssh keys", () => {
  const api = client("keys");
  it("creates synchronously (201), enforces unique names, validates keys, deletes with 204", async () => {
    const publicKey = ed25519PublicKey();
    const key = await ok(api, "POST", "/compute/ssh-keys", {
      name: "k1",
      public_key: publicKey,
      tags: { a: "b" },
    });
    expect(key).toMatchObject({ state: "active", key_type: "ssh-ed25519" });
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    await expectError(
      api("POST", "/compute/ssh-keys", { body: { name: "k1", public_key: ed25519PublicKey() } }),
      409,
      "conflict",
    );
    await expectError(
      api("POST", "/compute/ssh-keys", { body: { name: "k2", public_key: "ssh-ed25519 AAAA" } }),
      422,
      "invalid_request",
    );
    await expectError(
      api("POST", "/compute/ssh-keys", {
        body: { name: "k2", public_key: publicKey.replace("ssh-ed25519", "ssh-rsa") },
      }),
      422,
      "invalid_request",
    );
    const k2 = await ok(api, "POST", "/compute/ssh-keys", { name: "k2", public_key: ed25519PublicKey() });
    await expectError(api("PATCH", `/compute/ssh-keys/${k2.id}`, { body: { name: "k1" } }), 409, "conflict");
    expect((await ok(api, "PATCH", `/compute/ssh-keys/${k2.id}`, { name: "k3" })).name).toBe("k3");
    expect(
      (await ok(api, "GET", `/compute/ssh-keys?fingerprint=${encodeURIComponent(key.fingerprint as string)}`))
        .items,
    ).toHaveLength(1);
    expect((await ok(api, "GET", `/compute/ssh-keys/${key.id}`)).name).toBe("k1");
    const del = await api("DELETE", `/compute/ssh-keys/${key.id}`);
    expect(del.status).toBe(204);
    await expectError(api("GET", `/compute/ssh-keys/${key.id}`), 404, "not_found");
  });
});

async function network(
  project: string,
  cidr = "10.0.1.0/24",
  zone = "bd-dha-1a",
): Promise<{ vpc: Json; subnet: Json }> {
  const api = client(project);
  const vpc = await ok(api, "POST", "/network/vpcs", { name: "v", cidr: "10.0.0.0/16" });
  await waitState(vpc.id, "active");
  const subnet = await ok(api, "POST", "/network/subnets", { name: "s", vpc_id: vpc.id, cidr, zone });
  await waitState(subnet.id, "active");
  return { vpc, subnet };
}

describe("servers", () => {
  const project = "compute";
  const api = client(project);
  let subnet: Json;
  let server: Json;
  const action = (id: string, body: unknown): Promise<ContractResponse> =>
    api("POST", `/compute/servers/${id}/actions`, { body });

  it("builds a server (202 building -> active) with addresses", async () => {
    ({ subnet } = await network(project));
    const key = await ok(api, "POST", "/compute/ssh-keys", { name: "k", public_key: ed25519PublicKey() });
    server = await ok(api, "POST", "/compute/servers", {
      name: "web-1",
      flavor: "std-2x8",
      image: "ubuntu-24.04",
      subnet_id: subnet.id,
      ssh_key_ids: [key.id],
      public_ip: true,
      user_data: "#cloud-config\n",
      tags: { role: "web" },
    });
    expect(server).toMatchObject({
      state: "building",
      zone: "bd-dha-1a",
      boot_volume_size_gib: 20,
      volume_ids: [],
    });
    expect(server.addresses).toMatchObject({ private_ip: "10.0.1.4" });
    expect((server.addresses as { public_ip: string }).public_ip).toMatch(/^198\.1[89]\./);
    expect(server).not.toHaveProperty("user_data");
    await waitState(server.id, "active");
    expect((await ok(api, "GET", `/compute/servers/${server.id}`)).state).toBe("active");
    expect((await ok(api, "GET", `/compute/servers?subnet_id=${subnet.id}&tag=role:web`)).items).toHaveLength(
      1,
    );
    expect((await ok(api, "PATCH", `/compute/servers/${server.id}`, { tags: { role: "api" } })).tags).toEqual(
      { role: "api" },
    );
  });

  it("a full subnet and an exhausted public IP pool are 409 conflict, and free up again", async () => {
    const pools = client("pools");
    const { subnet: small } = await network("pools", "10.0.1.0/28");
    const base = { flavor: "std-1x4", image: "debian-12", subnet_id: small.id };
    // A /28 hands out its offsets 4..14: 11 servers.
    const made: Json[] = [];
    for (let i = 0; i < 11; i++)
      made.push(await ok(pools, "POST", "/compute/servers", { ...base, name: `s${i}` }));
    const full = await expectError(
      pools("POST", "/compute/servers", { body: { ...base, name: "one-more" } }),
      409,
      "conflict",
    );
    expect(full.body).toMatchObject({ error: { details: { subnet_id: small.id } } });
    for (const server of made) await ok(pools, "DELETE", `/compute/servers/${server.id}`);
    await eventually(() => sb.state.list({ project: "pools", kind: "server" }).length === 0, "servers gone");

    const inUse = sb.state
      .list({ kind: "server" })
      .filter((r) => (r as { addresses: { public_ip: string | null } }).addresses.public_ip).length;
    sb.setPublicIps(inUse + 1);
    try {
      const withIp = await ok(pools, "POST", "/compute/servers", { ...base, name: "ip", public_ip: true });
      const none = await expectError(
        pools("POST", "/compute/servers", { body: { ...base, name: "ip2", public_ip: true } }),
        409,
        "conflict",
      );
      expect(none.body).toMatchObject({ error: { message: "no public IP addresses left in the region" } });
      // Without a public IP the same server is fine; releasing the address makes room.
      const plain = await ok(pools, "POST", "/compute/servers", { ...base, name: "plain" });
      await ok(pools, "DELETE", `/compute/servers/${withIp.id}`);
      await eventually(() => sb.state.get(withIp.id) === undefined, "server gone");
      const again = await ok(pools, "POST", "/compute/servers", { ...base, name: "ip3", public_ip: true });
      for (const server of [plain, again]) await ok(pools, "DELETE", `/compute/servers/${server.id}`);
    } finally {
      sb.setPublicIps(2 ** 17 - 2);
    }
  });

  it("validates flavor, image, boot volume size and references (422)", async () => {
    const base = { name: "x", flavor: "std-2x8", image: "ubuntu-24.04", subnet_id: subnet.id };
    for (const body of [
      { ...base, flavor: "std-3x12" },
      { ...base, image: "windows-xp" },
      { ...base, image: "windows-server-2022", boot_volume_size_gib: 30 },
      { ...base, subnet_id: `subnet_${ZERO_ID}` },
      { ...base, ssh_key_ids: [`sshkey_${ZERO_ID}`] },
    ]) {
      await expectError(api("POST", "/compute/servers", { body }), 422, "invalid_request");
    }
    const win = await ok(api, "POST", "/compute/servers", {
      ...base,
      name: "win",
      image: "windows-server-2025",
    });
    expect(win.boot_volume_size_gib).toBe(40);
    await ok(api, "DELETE", `/compute/servers/${win.id}`);
  });

  it("follows the documented power and resize rules", async () => {
    await expectError(action(server.id, { type: "start" }), 409, "invalid_state");
    expect((await ok(api, "POST", `/compute/servers/${server.id}/actions`, { type: "reboot" })).state).toBe(
      "rebooting",
    );
    await waitState(server.id, "active");
    // Within the family: allowed while active, through `resizing` back to active.
    const resized = await ok(api, "POST", `/compute/servers/${server.id}/actions`, {
      type: "resize",
      flavor: "std-4x16",
    });
    expect(resized).toMatchObject({ state: "resizing", flavor: "std-4x16" });
    await waitState(server.id, "active");
    await expectError(action(server.id, { type: "resize", flavor: "std-4x16" }), 422, "invalid_request");
    await expectError(action(server.id, { type: "resize", flavor: "gpu-1x1" }), 422, "invalid_request");
    // Across families: only when stopped.
    const cross = await expectError(
      action(server.id, { type: "resize", flavor: "mem-4x32" }),
      409,
      "invalid_state",
    );
    expect(
      (cross.body as { error: { details: { allowed_states: string[] } } }).error.details.allowed_states,
    ).toEqual(["stopped"]);
    expect((await ok(api, "POST", `/compute/servers/${server.id}/actions`, { type: "stop" })).state).toBe(
      "stopping",
    );
    await expectError(action(server.id, { type: "stop" }), 409, "invalid_state");
    await waitState(server.id, "stopped");
    await expectError(action(server.id, { type: "reboot" }), 409, "invalid_state");
    expect(
      (await ok(api, "POST", `/compute/servers/${server.id}/actions`, { type: "resize", flavor: "mem-4x32" }))
        .state,
    ).toBe("resizing");
    await waitState(server.id, "stopped");
    expect(sb.state.get(server.id)).toMatchObject({ flavor: "mem-4x32" });
    expect((await ok(api, "POST", `/compute/servers/${server.id}/actions`, { type: "start" })).state).toBe(
      "starting",
    );
    await waitState(server.id, "active");
    await expectError(action(server.id, { type: "hibernate" }), 400, "invalid_request");
    await expectError(action(server.id, { type: "resize" }), 400, "invalid_request");
  });

  it("refuses to delete a subnet with servers, and servers on a subnet that is not active", async () => {
    await expectError(api("DELETE", `/network/subnets/${subnet.id}`), 409, "in_use");
    sb.faults.stickTransitions({ kind: "subnet", operation: "create" });
    const vpcId = subnet.vpc_id as string;
    const slow = await ok(api, "POST", "/network/subnets", {
      name: "slow",
      vpc_id: vpcId,
      cidr: "10.0.2.0/24",
      zone: "bd-dha-1b",
    });
    const body = { name: "x", flavor: "std-1x4", image: "debian-12", subnet_id: slow.id };
    await expectError(api("POST", "/compute/servers", { body }), 409, "invalid_state");
    sb.faults.unstickTransitions();
    await waitState(slow.id, "active");
  });

  it("runs out of addresses in a small subnet (409 conflict)", async () => {
    const vpcId = subnet.vpc_id as string;
    const tiny = await ok(api, "POST", "/network/subnets", {
      name: "tiny",
      vpc_id: vpcId,
      cidr: "10.0.3.0/28",
      zone: "bd-dha-1c",
    });
    await waitState(tiny.id, "active");
    const body = { name: "n", flavor: "cpu-2x4", image: "alma-9", subnet_id: tiny.id };
    for (let i = 0; i < 11; i++) await ok(api, "POST", "/compute/servers", body);
    await expectError(api("POST", "/compute/servers", { body }), 409, "conflict");
  });

  it("deletes in any state (202) and is gone afterwards (404)", async () => {
    sb.faults.stickTransitions({ kind: "server", operation: "delete" });
    expect((await ok(api, "DELETE", `/compute/servers/${server.id}`)).state).toBe("deleting");
    await expectError(
      api("PATCH", `/compute/servers/${server.id}`, { body: { name: "late" } }),
      409,
      "invalid_state",
    );
    await expectError(action(server.id, { type: "stop" }), 409, "invalid_state");
    sb.faults.unstickTransitions();
    await eventually(() => sb.state.get(server.id) === undefined, "server gone");
    await expectError(api("GET", `/compute/servers/${server.id}`), 404, "not_found");
  });
});

describe("volumes", () => {
  const project = "storage";
  const api = client(project);
  let server: Json;
  let volume: Json;
  let subnet: Json;

  it("creates volumes (nvme baseline IOPS, piops limits, zones)", async () => {
    ({ subnet } = await network(project));
    server = await ok(api, "POST", "/compute/servers", {
      name: "db",
      flavor: "mem-2x16",
      image: "rocky-9",
      subnet_id: subnet.id,
    });
    await waitState(server.id, "active");
    volume = await ok(api, "POST", "/storage/volumes", { name: "data", size_gib: 100, zone: "bd-dha-1a" });
    expect(volume).toMatchObject({ state: "creating", type: "nvme", iops: 3000, server_id: null });
    await waitState(volume.id, "available");
    const piops = await ok(api, "POST", "/storage/volumes", {
      name: "fast",
      size_gib: 20,
      zone: "bd-dha-1a",
      type: "piops",
      iops: 10000,
    });
    expect(piops.iops).toBe(10000);
    await expectError(
      api("POST", "/storage/volumes", {
        body: { name: "x", size_gib: 10, zone: "bd-dha-1a", type: "piops", iops: 6000 },
      }),
      422,
      "invalid_request",
    );
    await expectError(
      api("POST", "/storage/volumes", { body: { name: "x", size_gib: 10, zone: "bd-dha-1a", iops: 500 } }),
      422,
      "invalid_request",
    );
    await expectError(
      api("POST", "/storage/volumes", { body: { name: "x", size_gib: 10, zone: "bd-dha-9z" } }),
      400, // not a zone at all (the document's Zone); a zone of another region is 422, as for subnets
      "invalid_request",
    );
    await expectError(
      api("POST", "/storage/volumes", { body: { name: "x", size_gib: 16385, zone: "bd-dha-1a" } }),
      400,
      "invalid_request",
    );
    expect((await ok(api, "GET", `/storage/volumes/${volume.id}`)).state).toBe("available");
  });

  it("grows online (202, resizing) and never shrinks (422)", async () => {
    const grown = await ok(api, "PATCH", `/storage/volumes/${volume.id}`, { size_gib: 500 });
    expect(grown).toMatchObject({ state: "resizing", size_gib: 500, iops: 5000 });
    await waitState(volume.id, "available");
    await expectError(
      api("PATCH", `/storage/volumes/${volume.id}`, { body: { size_gib: 100 } }),
      422,
      "invalid_request",
    );
    await expectError(
      api("PATCH", `/storage/volumes/${volume.id}`, { body: { iops: 4000 } }),
      422,
      "invalid_request",
    );
    expect((await ok(api, "PATCH", `/storage/volumes/${volume.id}`, { name: "data-1" })).name).toBe("data-1");
  });

  it("attaches and detaches (same zone, one server, at most 16 per server)", async () => {
    sb.faults.stickTransitions({ kind: "volume", operation: "attach" });
    const attaching = await ok(api, "POST", `/storage/volumes/${volume.id}/attach`, { server_id: server.id });
    expect(attaching).toMatchObject({ state: "attaching", server_id: server.id });
    await expectError(
      api("PATCH", `/storage/volumes/${volume.id}`, { body: { size_gib: 600 } }),
      409,
      "invalid_state",
    );
    sb.faults.unstickTransitions();
    await waitState(volume.id, "in_use");
    expect(sb.state.get(server.id)).toMatchObject({ volume_ids: [volume.id] });
    await expectError(
      api("POST", `/storage/volumes/${volume.id}/attach`, { body: { server_id: server.id } }),
      409,
      "invalid_state",
    );
    await expectError(api("DELETE", `/storage/volumes/${volume.id}`), 409, "in_use");
    await expectError(
      api("POST", `/storage/volumes/${volume.id}/detach`, { body: { server_id: `vm_${ZERO_ID}` } }),
      422,
      "invalid_request",
    );

    const other = await ok(api, "POST", "/storage/volumes", {
      name: "b-zone",
      size_gib: 1,
      zone: "bd-dha-1b",
    });
    await waitState(other.id, "available");
    await expectError(
      api("POST", `/storage/volumes/${other.id}/attach`, { body: { server_id: server.id } }),
      422,
      "invalid_request",
    );
    await expectError(
      api("POST", `/storage/volumes/${other.id}/detach`, { body: { server_id: server.id } }),
      409,
      "invalid_state",
    );

    for (let i = 0; i < 15; i++) {
      const v = await ok(api, "POST", "/storage/volumes", { name: `v${i}`, size_gib: 1, zone: "bd-dha-1a" });
      await waitState(v.id, "available");
      await ok(api, "POST", `/storage/volumes/${v.id}/attach`, { server_id: server.id });
    }
    const seventeenth = await ok(api, "POST", "/storage/volumes", {
      name: "v17",
      size_gib: 1,
      zone: "bd-dha-1a",
    });
    await waitState(seventeenth.id, "available");
    const r = await expectError(
      api("POST", `/storage/volumes/${seventeenth.id}/attach`, { body: { server_id: server.id } }),
      409,
      "conflict",
    );
    expect((r.body as { error: { details: unknown } }).error.details).toEqual({ limit: 16 });

    // A second server may not detach someone else's volume.
    const second = await ok(api, "POST", "/compute/servers", {
      name: "two",
      flavor: "std-1x4",
      image: "rocky-9",
      subnet_id: subnet.id,
    });
    await waitState(second.id, "active");
    await expectError(
      api("POST", `/storage/volumes/${volume.id}/detach`, { body: { server_id: second.id } }),
      409,
      "invalid_state",
    );
    await expectError(
      api("POST", `/storage/volumes/${volume.id}/attach`, { body: { server_id: second.id } }),
      409,
      "invalid_state",
    );
    sb.faults.stickTransitions({ kind: "server", operation: "create" });
    const building = await ok(api, "POST", "/compute/servers", {
      name: "three",
      flavor: "std-1x4",
      image: "rocky-9",
      subnet_id: subnet.id,
    });
    await expectError(
      api("POST", `/storage/volumes/${seventeenth.id}/attach`, { body: { server_id: building.id } }),
      409,
      "invalid_state",
    );
    sb.faults.unstickTransitions();

    const detaching = await ok(api, "POST", `/storage/volumes/${volume.id}/detach`, { server_id: server.id });
    expect(detaching.state).toBe("detaching");
    await waitState(volume.id, "available");
    expect(sb.state.get(volume.id)).toMatchObject({ server_id: null });
    expect((await ok(api, "GET", `/storage/volumes?server_id=${server.id}`)).items).toHaveLength(15);
  });

  it("server deletion detaches its volumes; volume deletion is 202 then 404", async () => {
    await ok(api, "DELETE", `/compute/servers/${server.id}`);
    await eventually(() => sb.state.get(server.id) === undefined, "server gone");
    expect((await ok(api, "GET", "/storage/volumes?state=in_use")).items).toEqual([]);
    expect((await ok(api, "DELETE", `/storage/volumes/${volume.id}`)).state).toBe("deleting");
    await eventually(() => sb.state.get(volume.id) === undefined, "volume gone");
    await expectError(api("GET", `/storage/volumes/${volume.id}`), 404, "not_found");
  });
});

describe("idempotency", () => {
  const project = "idem";
  const api = client(project);

  it("replays the first result for a repeated key and refuses a different body", async () => {
    const body = { name: "once", cidr: "10.1.0.0/16" };
    const first = await api("POST", "/network/vpcs", { body, headers: { "idempotency-key": "create-once" } });
    const again = await api("POST", "/network/vpcs", { body, headers: { "idempotency-key": "create-once" } });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(sb.state.list({ project, kind: "vpc" })).toHaveLength(1);
    await expectError(
      api("POST", "/network/vpcs", {
        body: { ...body, cidr: "10.2.0.0/16" },
        headers: { "idempotency-key": "create-once" },
      }),
      422,
      "idempotency_mismatch",
    );
    await expectError(
      api("POST", "/network/vpcs", { body, headers: { "idempotency-key": "bad key" } }),
      400,
      "invalid_request",
    );
  });

  it("a create whose response was lost is not repeated by a retry with the same key", async () => {
    const faultId = sb.faults.add({ kind: "drop_after", method: "POST", path: "/v1/network/vpcs", count: 1 });
    const body = { name: "lost", cidr: "10.3.0.0/16" };
    await expect(
      api("POST", "/network/vpcs", { body, headers: { "idempotency-key": "lost-1" } }),
    ).rejects.toThrow();
    expect(sb.state.list({ project, kind: "vpc" }).filter((v) => v.name === "lost")).toHaveLength(1);
    const retry = await api("POST", "/network/vpcs", { body, headers: { "idempotency-key": "lost-1" } });
    expect(retry.status).toBe(202);
    expect(sb.state.list({ project, kind: "vpc" }).filter((v) => v.name === "lost")).toHaveLength(1);
    expect(sb.calls({ template: "/v1/network/vpcs", method: "POST" }).some((c) => c.dropped)).toBe(true);
    sb.faults.remove(faultId);
  });
});

describe("credentials and scope", () => {
  it("401 without or with unknown credentials, 403 outside the token's projects or for read-only tokens", async () => {
    const call = (opts: CallOptions): Promise<ContractResponse> =>
      checker.call(sb.url, "GET", "/v1/network/vpcs", opts);
    await expectError(call({}), 401, "unauthenticated");
    await expectError(call({ token: "cd_nope" }), 401, "unauthenticated");
    await expectError(call({ token: "not-a-cd-token" }), 401, "unauthenticated");
    await expectError(call({ headers: { authorization: "Basic Zm9vOmJhcg==" } }), 401, "unauthenticated");
    await expectError(call({ bearer: "a.b.c" }), 401, "unauthenticated"); // no OIDC configured here
    await expectError(call({ token: OTHER, project: "alpha" }), 403, "forbidden");
    expect((await call({ token: OTHER })).status).toBe(200); // single-project token: header optional
    await expectError(call({ token: TOKEN }), 400, "invalid_request"); // multi-project token: header required
    await expectError(call({ token: TOKEN, project: "bad project!" }), 400, "invalid_request");
    expect((await call({ token: READ_ONLY })).status).toBe(200);
    const write = checker.call(sb.url, "POST", "/v1/network/vpcs", {
      token: READ_ONLY,
      body: { name: "x", cidr: "10.0.0.0/16" },
    });
    await expectError(write, 403, "forbidden");
  });

  it("unknown paths are 404 and unknown methods 405, both with the envelope", async () => {
    await expectError(
      checker.call(sb.url, "GET", "/v1/compute/gpus", { token: TOKEN, project: "p" }),
      404,
      "not_found",
    );
    await expectError(checker.call(sb.url, "GET", "/v2/regions", { token: TOKEN }), 404, "not_found");
    const r = await expectError(
      checker.call(sb.url, "PUT", "/v1/network/vpcs", { token: TOKEN, project: "p" }),
      405,
      "invalid_request",
    );
    expect(r.headers.get("allow")).toBe("GET, POST");
  });

  it("can report mfa_required (injected, for destructive calls a step-up would guard)", async () => {
    sb.faults.add({
      kind: "error",
      status: 403,
      code: "mfa_required",
      method: "DELETE",
      count: 1,
      message: "step-up needed",
    });
    await expectError(client("mfa")("DELETE", `/network/vpcs/vpc_${ZERO_ID}`), 403, "mfa_required");
  });
});

describe("every operation's generic answers", () => {
  // One fixture per collection so that {id} paths name real resources.
  const project = "generic";
  const api = client(project);
  const ids: Record<string, string> = {};
  let limited: Sandbox;
  const clock = new ManualClock();

  beforeAll(async () => {
    const { vpc, subnet } = await network(project);
    ids["/v1/network/vpcs"] = vpc.id;
    ids["/v1/network/subnets"] = subnet.id;
    ids["/v1/compute/ssh-keys"] = (
      await ok(api, "POST", "/compute/ssh-keys", { name: "g", public_key: ed25519PublicKey() })
    ).id;
    const server = await ok(api, "POST", "/compute/servers", {
      name: "g",
      flavor: "std-1x4",
      image: "debian-12",
      subnet_id: subnet.id,
    });
    ids["/v1/compute/servers"] = server.id;
    ids["/v1/storage/volumes"] = (
      await ok(api, "POST", "/storage/volumes", { name: "g", size_gib: 1, zone: "bd-dha-1a" })
    ).id;
    ids["/v1/regions"] = "bd-dha-1";
    ids["/v1/compute/flavors"] = "std-1x4";
    ids["/v1/compute/images"] = "debian-12";
    // A sandbox with a one-request bucket that never refills (manual clock): the second call is 429.
    limited = await startSandbox({
      tokens: [],
      rateLimit: { burst: 1, perSecond: 1 },
      clock,
      inspectPort: false,
    });
  });
  afterAll(async () => {
    await limited.close();
  });

  const concrete = (template: string, id?: string): string =>
    template.replace(
      /\/\{(id|name)\}/,
      (_m) => `/${id ?? ids[template.slice(0, template.indexOf("/{"))] ?? ""}`,
    );

  it("answers 401, 403, 429, 500, 503, 413, 415, 400 and 404 as documented, for every operation", async () => {
    let n = 0;
    for (const op of checker.operations) {
      const path = concrete(op.template);
      const has = (status: number): boolean => op.responses.has(status);
      const send = (opts: CallOptions, base = sb.url, p = path): Promise<ContractResponse> =>
        checker.call(base, op.method, p, opts);
      const where = `${op.method} ${op.template}`;
      const withBody = op.method === "POST" || op.method === "PATCH";

      expect(has(401), where).toBe(true);
      await expectError(send({ project }), 401, "unauthenticated");
      if (has(403)) await expectError(send({ token: OTHER, project }), 403, "forbidden");

      const token = `cd_limited_${n++}`;
      limited.addToken({ token, projects: "*" });
      await send({ token, project }, limited.url); // spends the bucket (any documented answer)
      const throttled = await expectError(send({ token, project }, limited.url), 429, "rate_limited");
      expect(throttled.headers.get("retry-after")).toBe("1");

      for (const [kind, status, code] of [
        ["internal", 500, "internal"],
        ["unavailable", 503, "unavailable"],
      ] as const) {
        sb.faults.add({ kind, method: op.method, path: op.template, count: 1 });
        await expectError(send({ token: TOKEN, project }), status, code);
      }

      if (has(431)) {
        // A request line longer than the sandbox's 128 KiB limit of request line and headers.
        const ids = Array.from({ length: 5000 }, () => `vpc_${ZERO_ID}`).join(",");
        await expectError(
          send({ token: TOKEN, project }, sb.url, `${path}?ids=${ids}`),
          431,
          "invalid_request",
        );
      }
      if (has(413)) {
        const huge = JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) });
        await expectError(
          send({ token: TOKEN, project, rawBody: huge, headers: { "content-type": "application/json" } }),
          413,
          "invalid_request",
        );
      }
      if (has(415)) {
        await expectError(
          send({ token: TOKEN, project, rawBody: "name=x", headers: { "content-type": "text/plain" } }),
          415,
          "invalid_request",
        );
      }
      if (has(400)) {
        if (op.template.includes("{id}")) {
          await expectError(
            send(
              { token: TOKEN, project, ...(withBody ? { body: {} } : {}) },
              sb.url,
              concrete(op.template, "not-an-id"),
            ),
            400,
            "invalid_request",
          );
        } else if (op.method === "GET") {
          await expectError(
            send({ token: TOKEN, project }, sb.url, `${path}?bogus=1`),
            400,
            "invalid_request",
          );
        } else {
          await expectError(
            send({
              token: TOKEN,
              project,
              rawBody: "{not json",
              headers: { "content-type": "application/json" },
            }),
            400,
            "invalid_request",
          );
        }
      }
      if (has(404)) {
        const prefix = (ids[op.template.slice(0, op.template.indexOf("/{"))] ?? "").split("_")[0] ?? "";
        const missing = op.template.includes("{name}") ? "no-such-thing" : `${prefix}_${ZERO_ID}`;
        const body = withBody ? { body: { server_id: ids["/v1/compute/servers"] } } : {};
        await expectError(
          send({ token: TOKEN, project, ...body }, sb.url, concrete(op.template, missing)),
          404,
          "not_found",
        );
      }
    }
  });
});

describe("coverage of the document", () => {
  it("every documented (method, path, status) was produced by the tests above", () => {
    const missing = checker.declared().filter((key) => !checker.seen.has(key));
    expect(missing).toEqual([]);
  });

  it("every documented error code was produced", () => {
    const missing = checker.declaredCodes().filter((code) => !checker.codesSeen.has(code));
    expect(missing).toEqual([]);
  });
});

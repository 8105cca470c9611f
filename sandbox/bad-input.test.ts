import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "./server.ts";
import { eventually } from "./testing/fixtures.ts";

// Bad input of every sort must get a 4xx with the error envelope: never a 500, never a crash.

const TOKEN = "cd_bad_input";
let sb: Sandbox;
let vpcId: string;
let serverlessSubnetId: string;

interface Raw {
  status: number;
  body: string;
}

/** A raw HTTP exchange (fetch would refuse some of these requests). */
function raw(
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: sb.port,
        path,
        method,
        headers: { "x-cd-token": TOKEN, "x-cd-project": "p", "content-type": "application/json", ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function expectEnvelope(r: Raw, status?: number): void {
  expect(r.status, r.body).toBeGreaterThanOrEqual(400);
  expect(r.status, r.body).toBeLessThan(500);
  if (status !== undefined) expect(r.status, r.body).toBe(status);
  const parsed = JSON.parse(r.body) as { error: { code: string; message: string; request_id: string } };
  expect(typeof parsed.error.code).toBe("string");
  expect(typeof parsed.error.message).toBe("string");
  expect(parsed.error.request_id.length).toBeGreaterThan(0);
}

beforeAll(async () => {
  sb = await startSandbox({
    tokens: [{ token: TOKEN, projects: ["p"] }],
    rateLimit: false,
    delays: { vpc: 0, subnet: 0 },
  });
  const vpc = await raw("POST", "/v1/network/vpcs", JSON.stringify({ name: "v", cidr: "10.0.0.0/16" }));
  vpcId = (JSON.parse(vpc.body) as { id: string }).id;
  await eventually(() => sb.state.get(vpcId)?.state === "active", "vpc active");
  const subnet = await raw(
    "POST",
    "/v1/network/subnets",
    JSON.stringify({ name: "s", vpc_id: vpcId, cidr: "10.0.1.0/24", zone: "bd-dha-1a" }),
  );
  serverlessSubnetId = (JSON.parse(subnet.body) as { id: string }).id;
});
afterAll(async () => {
  await sb.close();
});

const validVpc = { name: "ok", cidr: "10.1.0.0/16" };
const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;

describe("malformed and mistyped bodies", () => {
  it.each([
    ["truncated JSON", "{"],
    ["trailing garbage", '{"name":"x"} x'],
    ["single quotes", "{'name':'x'}"],
    ["NUL byte", "\u0000"],
    ["not an object: array", "[]"],
    ["not an object: null", "null"],
    ["not an object: number", "42"],
    ["not an object: string", '"vpc"'],
    ["empty object", "{}"],
    ["name is a number", JSON.stringify({ ...validVpc, name: 5 })],
    ["name is empty", JSON.stringify({ ...validVpc, name: "" })],
    ["name too long", JSON.stringify({ ...validVpc, name: "a".repeat(129) })],
    ["name with spaces", JSON.stringify({ ...validVpc, name: "my vpc" })],
    ["cidr is an array", JSON.stringify({ ...validVpc, cidr: ["10.0.0.0/16"] })],
    ["tags is a string", JSON.stringify({ ...validVpc, tags: "env=prod" })],
    ["tag value is a number", JSON.stringify({ ...validVpc, tags: { env: 1 } })],
    ["tag key with a colon", JSON.stringify({ ...validVpc, tags: { "a:b": "c" } })],
    [
      "51 tags",
      JSON.stringify({
        ...validVpc,
        tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])),
      }),
    ],
    ["unknown field", JSON.stringify({ ...validVpc, colour: "blue" })],
    ["__proto__ field", '{"name":"ok","cidr":"10.1.0.0/16","__proto__":{"admin":true}}'],
    ["__proto__ tag", '{"name":"ok","cidr":"10.1.0.0/16","tags":{"__proto__":"x"}}'],
    ["deeply nested array", deep],
    ["deep nesting in a field", `{"name":${deep},"cidr":"10.1.0.0/16"}`],
    ["number overflow", '{"name":"ok","cidr":"10.1.0.0/16","tags":{"a":1e400}}'],
    [
      "invalid UTF-8",
      Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    ],
  ])("POST vpcs with %s -> 400", async (_name, body) => {
    expectEnvelope(await raw("POST", "/v1/network/vpcs", body), 400);
  });

  it.each([
    ["size as string", { name: "v", size_gib: "10", zone: "bd-dha-1a" }],
    ["fractional size", { name: "v", size_gib: 1.5, zone: "bd-dha-1a" }],
    ["zero size", { name: "v", size_gib: 0, zone: "bd-dha-1a" }],
    ["negative iops", { name: "v", size_gib: 10, zone: "bd-dha-1a", type: "piops", iops: -1 }],
    ["unknown type", { name: "v", size_gib: 10, zone: "bd-dha-1a", type: "hdd" }],
  ])("POST volumes with %s -> 400", async (_name, body) => {
    expectEnvelope(await raw("POST", "/v1/storage/volumes", JSON.stringify(body)), 400);
  });

  it.each([
    ["public_ip as string", { public_ip: "yes" }],
    ["ssh_key_ids as string", { ssh_key_ids: "sshkey_x" }],
    ["11 ssh keys", { ssh_key_ids: Array.from({ length: 11 }, () => "sshkey_x") }],
    ["huge boot volume", { boot_volume_size_gib: 1_000_000 }],
    ["user_data too large", { user_data: "x".repeat(70_000) }],
  ])("POST servers with %s -> 4xx", async (_name, extra) => {
    const body = {
      name: "s",
      flavor: "std-1x4",
      image: "debian-12",
      subnet_id: serverlessSubnetId,
      ...extra,
    };
    expectEnvelope(await raw("POST", "/v1/compute/servers", JSON.stringify(body)), 400);
  });

  it("an empty POST body -> 400, a text/plain body -> 415", async () => {
    expectEnvelope(await raw("POST", "/v1/network/vpcs"), 400);
    expectEnvelope(
      await raw("POST", "/v1/network/vpcs", JSON.stringify(validVpc), { "content-type": "text/plain" }),
      415,
    );
  });

  it("PATCH with unknown or immutable fields -> 400", async () => {
    expectEnvelope(
      await raw("PATCH", `/v1/network/vpcs/${vpcId}`, JSON.stringify({ cidr: "10.2.0.0/16" })),
      400,
    );
    expectEnvelope(await raw("PATCH", `/v1/network/vpcs/${vpcId}`, JSON.stringify({ id: "vpc_x" })), 400);
    expectEnvelope(await raw("PATCH", `/v1/network/vpcs/${vpcId}`, "[]"), 400);
  });

  it("an Idempotency-Key on a deeply nested body is still a 400, not a 500", async () => {
    expectEnvelope(await raw("POST", "/v1/network/vpcs", deep, { "idempotency-key": "k" }), 400);
    expectEnvelope(
      await raw("POST", "/v1/network/vpcs", JSON.stringify(validVpc), { "idempotency-key": "x".repeat(256) }),
      400,
    );
  });
});

describe("huge bodies", () => {
  it("a body just over 1 MiB -> 413", async () => {
    const body = JSON.stringify({ name: "x", cidr: "10.0.0.0/16", description: "d".repeat(1024 * 1024) });
    expectEnvelope(await raw("POST", "/v1/network/vpcs", body), 413);
  });

  it("a 20 MiB body -> 413 (answered without reading it all, connection closed)", async () => {
    const body = Buffer.alloc(20 * 1024 * 1024, 0x20);
    const r = await raw("POST", "/v1/network/vpcs", body).catch((err: NodeJS.ErrnoException) => err);
    // The client may still be writing when the server answers and closes; either way the
    // server answered 413 and is alive.
    if (!(r instanceof Error)) expectEnvelope(r, 413);
    expect(sb.calls({ status: 413 }).length).toBeGreaterThan(0);
  });

  it("a 413 on PATCH as well", async () => {
    const body = JSON.stringify({ description: "d".repeat(2 * 1024 * 1024) });
    expectEnvelope(await raw("PATCH", `/v1/network/vpcs/${vpcId}`, body), 413);
  });
});

describe("invalid ids, paths, queries and headers", () => {
  it.each([
    ["short", "/v1/network/vpcs/x"],
    ["numeric ULID part", "/v1/network/vpcs/vpc_123"],
    ["lowercase ULID", `/v1/network/vpcs/vpc_${"a".repeat(26)}`],
    ["excluded letter U", `/v1/network/vpcs/vpc_${"U".repeat(26)}`],
    ["wrong prefix", `/v1/network/vpcs/subnet_${"0".repeat(26)}`],
    ["encoded slash", "/v1/network/vpcs/vpc%2F..%2Fx"],
    ["broken percent-encoding", "/v1/network/vpcs/%E0%A4%A"],
    ["unicode", "/v1/network/vpcs/%F0%9F%92%A5"],
    ["10,000 characters", `/v1/network/vpcs/${"A".repeat(10_000)}`],
    ["action on a bad id", "/v1/compute/servers/nope/actions"],
  ])("GET with an invalid id (%s) -> 400", async (_name, path) => {
    const method = path.endsWith("/actions") ? "POST" : "GET";
    expectEnvelope(await raw(method, path, method === "POST" ? '{"type":"stop"}' : undefined), 400);
  });

  it.each([
    ["unknown collection", "GET", "/v1/network/routers", 404],
    ["too deep", "GET", `/v1/network/vpcs/${"vpc_" + "0".repeat(26)}/subnets/x`, 404],
    ["unknown action", "POST", `/v1/compute/servers/vm_${"0".repeat(26)}/hibernate`, 404],
    ["double slash", "GET", "/v1/network//vpcs", 404],
    ["dot segments", "GET", "/v1/network/vpcs/../vpcs", 404],
    ["no version", "GET", "/network/vpcs", 404],
    ["PUT", "PUT", "/v1/network/vpcs", 405],
    ["OPTIONS", "OPTIONS", "/v1/network/vpcs", 405],
    ["POST to an item", "POST", `/v1/network/vpcs/${"vpc_" + "0".repeat(26)}`, 405],
  ])("%s -> 4xx", async (_name, method, path, status) => {
    expectEnvelope(await raw(method, path, method === "POST" ? "{}" : undefined), status);
  });

  it.each([
    "limit=abc",
    "limit=-1",
    "limit=0",
    "limit=1001",
    "limit=1.5",
    "cursor=not-a-cursor",
    "cursor=" + Buffer.from("subnet_" + "0".repeat(26)).toString("base64url"),
    "cursor=subnet_" + "0".repeat(26), // a cursor is an id of this collection
    "tag=:x",
    "tag=",
    "ids=vpc_1,vpc_2",
    "id=",
    "sort=name",
    "vpc_id=x",
  ])("GET vpcs?%s -> 400", async (query) => {
    expectEnvelope(await raw("GET", `/v1/network/vpcs?${query}`), 400);
  });

  it("bad project headers and oversized headers -> 4xx with the envelope", async () => {
    expectEnvelope(await raw("GET", "/v1/network/vpcs", undefined, { "x-cd-project": "../etc" }), 400);
    expectEnvelope(await raw("GET", "/v1/network/vpcs", undefined, { "x-cd-project": "q" }), 403);
    expectEnvelope(
      await raw("GET", "/v1/network/vpcs", undefined, { "x-cd-token": "cd_" + "x".repeat(1000) }),
      401,
    );
    expectEnvelope(await raw("GET", "/v1/network/vpcs", undefined, { "x-huge": "h".repeat(200_000) }), 431);
  });
});

describe("after all of that", () => {
  it("the sandbox is alive and never answered 5xx", async () => {
    const r = await raw("GET", "/v1/network/vpcs");
    expect(r.status).toBe(200);
    const statuses = Object.keys(sb.counts().by_status).map(Number);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(sb.state.list({ kind: "vpc" })).toHaveLength(1);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "./server.ts";
import { eventually } from "./testing/fixtures.ts";

const TOKEN = "cd_persist";
const dirs: string[] = [];
const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(path: string): Promise<Sandbox> {
  const sb = await startSandbox({
    tokens: [{ token: TOKEN, projects: ["p"] }],
    persistPath: path,
    delays: { vpc: 0, subnet: 20 },
    inspectPort: false,
  });
  open.push(sb);
  return sb;
}

const post = (sb: Sandbox, path: string, body: unknown, key?: string): Promise<Response> =>
  fetch(`${sb.apiUrl}${path}`, {
    method: "POST",
    headers: {
      "x-cd-token": TOKEN,
      "content-type": "application/json",
      ...(key ? { "idempotency-key": key } : {}),
    },
    body: JSON.stringify(body),
  });

describe("persistence to a file", () => {
  it("keeps resources, transitions in flight and idempotency keys across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-state-"));
    dirs.push(dir);
    const path = join(dir, "nested", "state.json");

    const first = await start(path);
    const vpcRes = await post(first, "/network/vpcs", { name: "v", cidr: "10.0.0.0/16" }, "vpc-key");
    const vpc = (await vpcRes.json()) as { id: string };
    await eventually(() => first.state.get(vpc.id)?.state === "active", "vpc active");
    first.faults.stickTransitions({ kind: "subnet" });
    const subnet = (await (
      await post(first, "/network/subnets", {
        name: "s",
        vpc_id: vpc.id,
        cidr: "10.0.1.0/24",
        zone: "bd-dha-1b",
      })
    ).json()) as { id: string };
    await new Promise((r) => setTimeout(r, 40));
    expect(first.state.get(subnet.id)?.state).toBe("creating");
    await first.close();
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, "utf8")).not.toContain(TOKEN); // no secrets in the state file

    const second = await start(path);
    expect(second.state.get(vpc.id)).toMatchObject({ state: "active", cidr: "10.0.0.0/16" });
    // The creation that was in flight completes after the restart.
    await eventually(() => second.state.get(subnet.id)?.state === "active", "subnet active after restart");
    // The idempotency key still replays the first result instead of creating again.
    const replay = await post(second, "/network/vpcs", { name: "v", cidr: "10.0.0.0/16" }, "vpc-key");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as { id: string }).id).toBe(vpc.id);
    expect(second.state.list({ kind: "vpc" })).toHaveLength(1);
    // New ids still sort after the old ones (list order = creation order).
    const newer = (await (
      await post(second, "/network/vpcs", { name: "w", cidr: "10.1.0.0/16" })
    ).json()) as { id: string };
    expect(newer.id > vpc.id).toBe(true);
  });

  it("refuses a file that is not a sandbox state file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-state-"));
    dirs.push(dir);
    const path = join(dir, "state.json");
    writeFileSync(path, JSON.stringify({ hello: "world" }));
    await expect(start(path)).rejects.toThrow(/not a sandbox state file/);
  });
});

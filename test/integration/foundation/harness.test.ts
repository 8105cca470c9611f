import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane } from "../../support/control-plane.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

// These tests start control planes of their own on purpose: they check the harness itself.
describe("control-plane harness", () => {
  it("stops etcd and kube-apiserver and removes its temp dir", async () => {
    const cp = await startControlPlane();
    const pids = (await import("node:child_process"))
      .execFileSync("pgrep", ["-f", cp.dir], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(existsSync(cp.dir)).toBe(true);
    await cp.stop();
    expect(await waitFor(() => pids.every((p) => !alive(p)), 15_000)).toBe(true);
    expect(existsSync(cp.dir)).toBe(false);
  });

  it("leaves no process and no temp dir behind when the test runner itself is killed", async () => {
    // A child Node process starts a control plane, prints its dir, and is then SIGKILLed.
    const script = `
      import { startControlPlane } from ${JSON.stringify(path.join(repoRoot, "test/support/control-plane.ts"))};
      const cp = await startControlPlane();
      console.log("DIR " + cp.dir);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(
      path.join(repoRoot, "scripts/with-node"),
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const dir = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        const m = /DIR (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const { execFileSync } = await import("node:child_process");
    const servers = execFileSync("pgrep", ["-f", `${dir}/`], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map(Number);
    expect(servers.length).toBeGreaterThanOrEqual(2);
    expect(existsSync(dir)).toBe(true);
    child.kill("SIGKILL");
    expect(await waitFor(() => servers.every((p) => !alive(p)), 20_000)).toBe(true);
    // Nobody is left to call stop(): the tether removes the temp dir (etcd data, certificates).
    expect(await waitFor(() => !existsSync(dir), 10_000)).toBe(true);
  });
});

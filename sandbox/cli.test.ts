import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startProcess, waitUntil, type ManagedProcess } from "../test/support/process.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"));
let proc: ManagedProcess | undefined;
afterAll(async () => {
  await proc?.stop(5000);
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run sandbox (CLI)", () => {
  it(
    "prints its endpoints, serves the API with the given token, and saves state on SIGTERM",
    { timeout: 60_000 },
    async () => {
      const stateFile = join(dir, "state.json");
      proc = startProcess(
        "sandbox-cli",
        join(root, "scripts/with-node"),
        [
          "--import",
          "tsx",
          "sandbox/main.ts",
          "--port",
          "0",
          "--token",
          "cd_cli_test:demo,other",
          "--state-file",
          stateFile,
        ],
        { cwd: root, logFile: join(dir, "cli.log") },
      );
      const running = proc;
      let ready: { apiUrl: string; inspectUrl: string } | undefined;
      await waitUntil(
        "SANDBOX_READY",
        async () => {
          const line = running
            .tail(50)
            .split("\n")
            .find((l) => l.startsWith("SANDBOX_READY "));
          if (line)
            ready = JSON.parse(line.slice("SANDBOX_READY ".length)) as { apiUrl: string; inspectUrl: string };
          return ready !== undefined;
        },
        { timeoutMs: 45_000, intervalMs: 100, whileAlive: running },
      );
      expect(running.tail(50)).toContain("Inspection:");
      expect(running.tail(50)).not.toContain("cd_cli_test"); // the token itself is never printed
      const res = await fetch(`${ready?.apiUrl}/network/vpcs`, {
        method: "POST",
        headers: { "x-cd-token": "cd_cli_test", "x-cd-project": "other", "content-type": "application/json" },
        body: JSON.stringify({ name: "from-cli", cidr: "10.0.0.0/16" }),
      });
      expect(res.status).toBe(202);
      const health = await fetch(`${ready?.inspectUrl}/healthz`);
      expect(health.status).toBe(200);
      await running.stop(10_000);
      expect(await running.exited).toBe(0);
      const saved = JSON.parse(readFileSync(stateFile, "utf8")) as {
        resources: { name: string; project: string }[];
      };
      expect(saved.resources).toMatchObject([{ name: "from-cli", project: "other" }]);
    },
  );
});

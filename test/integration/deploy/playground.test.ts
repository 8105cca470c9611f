// The README's first command after set-up: `npm run playground` brings up its own control plane,
// the sandbox, CRDs, RBAC and the operator, applies config/samples, and (with
// PLAYGROUND_EXIT_AFTER_READY=true) stops by itself once everything is Ready, leaving nothing behind.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./support.ts";

const execFileAsync = promisify(execFile);
const stateDir = mkdtempSync(path.join(os.tmpdir(), "cd-playground-"));

afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm run playground", () => {
  it("reaches all samples Ready, says what to do next, and stops everything it started", async () => {
    const { stdout } = await execFileAsync(
      path.join(ROOT, "scripts/with-node"),
      ["--import", "tsx", path.join(ROOT, "scripts/playground.ts")],
      {
        cwd: ROOT,
        timeout: 240_000,
        env: {
          ...process.env,
          PLAYGROUND_EXIT_AFTER_READY: "true",
          PLAYGROUND_STATE_DIR: stateDir,
          PLAYGROUND_READY_TIMEOUT_MS: "180000",
        },
      },
    );
    expect(stdout).toMatch(
      /8 CRDs installed; RBAC from config\/rbac for ServiceAccount clouddigit-system\/clouddigit-operator/,
    );
    expect(stdout).toMatch(/operator running as clouddigit-system\/clouddigit-operator/);
    expect(stdout).toMatch(/KIND\s+NAME\s+READY\s+REASON/);
    expect(stdout).toMatch(/5\/5 Ready after/);
    expect(stdout).toMatch(/all 5 samples Ready [\d.]+ s after they were applied/);
    expect(stdout).toContain(`export KUBECONFIG=${path.join(stateDir, "kubeconfig")}`);
    expect(stdout).toContain("kubectl get clouddigit");
    expect(stdout).toContain("stopped; nothing left running");
    // Every port it announced is closed again, and the credentials it wrote are gone.
    const ports = [...stdout.matchAll(/https?:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThanOrEqual(3);
    for (const port of new Set(ports)) expect(await listening(port), `port ${port}`).toBe(false);
    expect(readdirSync(stateDir).sort()).toEqual(["operator.log"]);
  });
});

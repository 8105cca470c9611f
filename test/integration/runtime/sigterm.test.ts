import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { startProcess, waitUntil, type ManagedProcess } from "../../support/process.ts";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import { LEASE_RESOURCE, type Lease } from "../../../src/runtime/leader-election.ts";
import { installWidgetCrd, WIDGET, widget } from "./support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");
const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig());
let proc: ManagedProcess | undefined;

beforeAll(async () => {
  await installWidgetCrd(client);
});

afterAll(async () => {
  await proc?.kill();
});

function marks(p: ManagedProcess): Array<{ what: string; key: string; at: number }> {
  return p
    .tail(200)
    .split("\n")
    .filter((l) => l.startsWith("MARK "))
    .map((l) => {
      const [, what, key, at] = l.split(" ");
      return { what: what ?? "", key: key ?? "", at: Number(at) };
    });
}

describe("graceful shutdown", () => {
  it(
    "lets a reconcile in flight finish on SIGTERM and releases the Lease",
    { timeout: 120_000 },
    async () => {
      const ns = await createNamespace(client.kubeConfig, "rt-sigterm");
      proc = startProcess(
        "slow-manager",
        path.join(repoRoot, "scripts/with-node"),
        ["--import", "tsx", path.join(here, "fixtures/slow-manager.ts")],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            TEST_NAMESPACE: ns,
            TEST_KUBECONFIG: cluster.kubeconfigPath,
            RECONCILE_MS: "3000",
          },
          logFile: path.join(os.tmpdir(), `slow-manager-${ns}.log`),
        },
      );
      const p = proc;
      await waitUntil(
        "the manager holds the lease",
        async () =>
          (await client.get<Lease>(LEASE_RESOURCE, ns, "slow-manager")).spec?.holderIdentity ===
          "slow-manager-1",
        { timeoutMs: 60_000, whileAlive: p },
      );
      await client.create(WIDGET, widget(ns, "slow-one"));
      await waitUntil("reconcile started", async () => marks(p).some((m) => m.what === "reconcile-start"), {
        timeoutMs: 30_000,
        whileAlive: p,
      });
      const signalledAt = Date.now();
      p.child.kill("SIGTERM");
      const code = await p.exited;
      const seen = marks(p);
      const end = seen.find((m) => m.what === "reconcile-end");
      expect(code, p.tail()).toBe(0);
      expect(end?.key).toBe(`${ns}/slow-one`);
      expect(end!.at).toBeGreaterThanOrEqual(signalledAt);
      expect(seen.some((m) => m.what === "reconcile-aborted")).toBe(false);
      expect(seen.map((m) => m.what)).toEqual(["reconcile-start", "reconcile-end", "stopped"]);
      const lease = await client.get<Lease>(LEASE_RESOURCE, ns, "slow-manager");
      expect(lease.spec?.holderIdentity ?? "").toBe("");
      console.log(
        `[runtime] SIGTERM to exit: ${Date.now() - signalledAt} ms (reconcile of 3000 ms in flight)`,
      );
    },
  );
});

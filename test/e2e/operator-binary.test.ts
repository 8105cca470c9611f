// The operator as users run it: `src/main.ts` in its own process (what `npm start` runs), with
// flags, against the real apiserver and a sandbox. The samples converge, metrics show them, the
// objects are deleted with kubectl, and SIGTERM ends the process cleanly. A Bucket on a real S3
// server rides along, so the Bucket's metrics are those of the same binary.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../sandbox/server.ts";
import { resourceType, SECRET_RESOURCE } from "../../src/controllers/kube/resources.ts";
import { KubeClient } from "../../src/runtime/kube-client.ts";
import { createNamespace, testCluster } from "../support/cluster.ts";
import { resolveKubeBinaries } from "../support/control-plane.ts";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "../support/process.ts";
import { startS3Server, type S3Server } from "../support/s3-server.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import {
  installCrds,
  sampleObjects,
  SAMPLE_PROJECT,
  SAMPLE_TOKEN,
} from "../integration/controllers/support.ts";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

let sandbox: Sandbox;
let s3Server: S3Server;
let operator: ManagedProcess;
let namespace: string;
let client: KubeClient;
let healthPort: number;
let dir: string | undefined;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(
    resolveKubeBinaries().kubectl,
    ["--kubeconfig", testCluster().kubeconfigPath, "-n", namespace, ...args],
    { timeout: 120_000 },
  );
  return stdout;
}

beforeAll(async () => {
  const kc = testCluster().kubeConfig();
  client = new KubeClient(kc);
  await installCrds(client);
  namespace = await createNamespace(kc, "e2e-binary");
  sandbox = await startSandbox({
    tokens: [{ token: SAMPLE_TOKEN, projects: [SAMPLE_PROJECT], name: "samples" }],
    delays: { vpc: 200, subnet: 200, server: 400, volume: 200 },
  });
  s3Server = await startS3Server();
  healthPort = await freePort();
  dir = mkdtempSync(path.join(os.tmpdir(), "cd-operator-"));
  operator = startProcess(
    "operator",
    path.join(root, "scripts/with-node"),
    [
      "--import",
      "tsx",
      "src/main.ts",
      "--kubeconfig",
      testCluster().kubeconfigPath,
      "--namespaces",
      namespace,
      "--health-address",
      `127.0.0.1:${healthPort}`,
      "--poll-interval",
      "250ms",
      "--log-level",
      "info",
    ],
    { cwd: root, logFile: path.join(dir, "operator.log") },
  );
  await waitUntil("operator ready", async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok, {
    timeoutMs: 60_000,
    whileAlive: operator,
  });
});

afterAll(async () => {
  await operator?.stop();
  await sandbox?.close();
  await s3Server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A ProviderConfig for the S3 server and one Bucket on it. */
function bucketObjects(): KubeObject[] {
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "e2e-s3-keys" },
      stringData: { accessKeyID: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey },
    },
    {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: "ProviderConfig",
      metadata: { name: "objects" },
      spec: {
        region: s3Server.region,
        project: SAMPLE_PROJECT,
        endpoints: { s3: s3Server.endpoint, api: sandbox.url },
        credentials: {
          source: "APIToken",
          apiToken: { secretRef: { name: "clouddigit-credentials", key: "token" } },
          s3: { secretRef: { name: "e2e-s3-keys" } },
        },
      },
    },
    {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: "Bucket",
      metadata: { name: "logs" },
      spec: { bucketName: `e2e-logs-${process.pid}`, providerConfigRef: { name: "objects" } },
    },
  ];
}

describe("the operator binary", () => {
  it("reconciles the samples to Ready and exposes per-kind metrics", async () => {
    for (const obj of [...sampleObjects(sandbox.url), ...bucketObjects()]) {
      const rt = obj.kind === "Secret" ? SECRET_RESOURCE : resourceType(obj.kind as "VPC");
      await client.patch(
        rt,
        namespace,
        obj.metadata.name ?? "",
        { ...obj, metadata: { ...obj.metadata, namespace } },
        "apply",
        { fieldManager: "e2e", force: true },
      );
    }
    const out = await kubectl(
      "wait",
      "--for=condition=Ready",
      "vpc,subnet,sshkey,volume,vm",
      "--all",
      "--timeout=120s",
    );
    expect(out.trim().split("\n")).toHaveLength(5);
    await kubectl("wait", "--for=condition=Ready", "bucket/logs", "--timeout=120s");
    const table = await kubectl("get", "clouddigit", "-o", "name");
    expect(table).toContain("vm.clouddigit.ai/web-1");
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    for (const kind of ["VPC", "Subnet", "SSHKey", "Volume", "VM", "Bucket"]) {
      expect(metrics).toContain(`clouddigit_managed_resources{kind="${kind}",state="ready"} 1`);
    }
    expect(metrics).toMatch(/controller_runtime_reconcile_total\{[^}]*controller="vm"/);
    expect(metrics).toMatch(/clouddigit_reconcile_outcomes_total\{kind="Bucket",outcome="done"\} [1-9]/);
    // The process figures a memory limit or an alert on a slow operator is judged by.
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
  });

  it("deleting with kubectl removes every cloud resource; SIGTERM exits cleanly", async () => {
    await kubectl("delete", "vm,volume,sshkey,subnet,vpc,bucket", "--all", "--wait=true", "--timeout=120s");
    expect(sandbox.state.list({ project: SAMPLE_PROJECT })).toEqual([]);
    await operator.stop();
    expect(await operator.exited).toBe(0);
    expect(operator.tail(200)).toContain("manager stopped");
  });
});

// The image tier's harness: the built image run with podman the way a kubelet runs the chart's
// pod (read-only root, no capabilities, no-new-privileges, uid 65532, the chart's env, probes and
// memory limit, the in-cluster service-account mount), against the run's real kube-apiserver.
import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { inject } from "vitest";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../sandbox/server.ts";
import type { ManagedKind } from "../../src/controllers/generic/actuator.ts";
import { resourceType, SECRET_RESOURCE } from "../../src/controllers/kube/resources.ts";
import { KubeClient } from "../../src/runtime/kube-client.ts";
import { LEASE_RESOURCE, type Lease } from "../../src/runtime/leader-election.ts";
import type { KubeObject } from "../../src/runtime/resource.ts";
import { applyAsAdmin, helmTemplate, parseObjects, RBAC_KINDS } from "../integration/deploy/support.ts";
import { installCrds } from "../integration/controllers/manifests.ts";
import { PROJECT, providerConfig } from "../reliability/support.ts";
import { createNamespace, testCluster } from "../support/cluster.ts";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "../support/process.ts";
import type { ImageUnderTest } from "./global-setup.ts";

const execFileAsync = promisify(execFile);

export function imageUnderTest(): ImageUnderTest {
  return inject("imageUnderTest");
}

function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: imageUnderTest().containersConf };
}

/** `podman <args>`; throws with podman's stderr on a non-zero exit. */
export async function podman(args: string[], maxBuffer = 16 * 1024 * 1024): Promise<string> {
  try {
    const { stdout } = await execFileAsync("podman", args, { env: podmanEnv(), timeout: 120_000, maxBuffer });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`podman ${args.slice(0, 2).join(" ")}: ${e.stderr || e.message}`, { cause: err });
  }
}

// --- the chart -----------------------------------------------------------------------------------

/** What a kubelet would run for the chart in namespace-scoped mode, watching `namespace`. */
export interface RenderedChart {
  objects: KubeObject[];
  serviceAccount: string;
  leaseName: string;
  container: k8s.V1Container;
  pod: k8s.V1PodSpec;
}

export async function renderChart(namespace: string): Promise<RenderedChart> {
  const result = await helmTemplate(namespace, namespace, {
    watchNamespaces: [namespace],
    crds: { install: false },
  });
  if (result.code !== 0) throw new Error(`helm template: ${result.stderr}`);
  const objects = parseObjects(result.stdout);
  const deployment = objects.find((o) => o.kind === "Deployment") as k8s.V1Deployment | undefined;
  const pod = deployment?.spec?.template.spec;
  const container = pod?.containers.find((c) => c.name === "operator");
  if (!pod || !container) throw new Error("the chart renders no operator container");
  const env = (name: string) => container.env?.find((e) => e.name === name)?.value;
  return {
    objects,
    serviceAccount: pod.serviceAccountName ?? "default",
    leaseName: env("LEADER_ELECTION_ID") ?? "",
    container,
    pod,
  };
}

/** The chart's ServiceAccount and RBAC, applied as the admin. */
export async function applyChartIdentity(chart: RenderedChart): Promise<void> {
  await applyAsAdmin(chart.objects.filter((o) => RBAC_KINDS.includes(o.kind ?? "")));
}

/** A Kubernetes quantity such as 512Mi in bytes (the suffixes the chart uses). */
export function bytesOf(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!m) throw new Error(`unsupported quantity ${quantity}`);
  return Number(m[1]) * { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? ""]!;
}

// --- the service-account mount ---------------------------------------------------------------------

/**
 * /var/run/secrets/kubernetes.io/serviceaccount as the kubelet writes it: ca.crt, namespace and
 * token in a timestamped folder, `..data` pointing at it, and the three names linking through
 * `..data`. A rotation writes a new folder and renames a new `..data` link over the old one.
 */
export class ServiceAccountMount {
  private generation = 0;

  constructor(
    readonly dir: string,
    private readonly namespace: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  write(token: string): void {
    const gen = `..gen-${++this.generation}`;
    const folder = path.join(this.dir, gen);
    mkdirSync(folder);
    writeFileSync(path.join(folder, "ca.crt"), testCluster().caCertPem, { mode: 0o644 });
    writeFileSync(path.join(folder, "namespace"), this.namespace, { mode: 0o644 });
    writeFileSync(path.join(folder, "token"), token, { mode: 0o600 });
    // The chart's runAsUser owns the token, as the kubelet arranges for a projected token.
    chownSync(path.join(folder, "token"), 65532, 65532);
    chmodSync(folder, 0o755);
    const data = path.join(this.dir, "..data");
    let previous: string | undefined;
    try {
      previous = readlinkSync(data);
    } catch {
      previous = undefined;
    }
    symlinkSync(gen, `${data}_tmp`);
    renameSync(`${data}_tmp`, data);
    for (const name of ["ca.crt", "namespace", "token"]) {
      try {
        symlinkSync(path.join("..data", name), path.join(this.dir, name));
      } catch {
        // already linked through ..data
      }
    }
    if (previous) rmSync(path.join(this.dir, previous), { recursive: true, force: true });
  }
}

/**
 * A TokenRequest token for the ServiceAccount, bound to a Secret of its own (as a kubelet's is
 * bound to its pod), with the API server's default audience (what automountServiceAccountToken
 * gives the chart's pod) and the shortest expiry TokenRequest allows (600 s). Deleting the Secret
 * revokes the token at once.
 */
export async function boundToken(
  client: KubeClient,
  core: k8s.CoreV1Api,
  namespace: string,
  serviceAccount: string,
  binding: string,
): Promise<string> {
  const secret = await client.create<KubeObject>(SECRET_RESOURCE, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: binding, namespace },
  });
  const result = await core.createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 600,
        boundObjectRef: { apiVersion: "v1", kind: "Secret", name: binding, uid: secret.metadata.uid },
      },
    },
  });
  const token = result.status?.token;
  if (!token) throw new Error("TokenRequest returned no token");
  return token;
}

/** The status code the API server answers a request authenticated with `token` alone. */
export function statusWithToken(token: string, apiPath: string): Promise<number> {
  const cluster = testCluster();
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${cluster.server}${apiPath}`,
      { ca: cluster.caCertPem, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

// --- the container ---------------------------------------------------------------------------------

export interface OperatorContainer {
  name: string;
  /** The loopback port the chart's http-metrics port is mapped to (probes, /metrics). */
  port: number;
  /** `podman run` in the foreground, tethered to the test run; its output is the container's. */
  process: ManagedProcess;
}

export interface RunOptions {
  name: string;
  chart: RenderedChart;
  namespace: string;
  mount: ServiceAccountMount;
  logDir: string;
}

/**
 * Runs the image as the chart's pod would run: the chart's env (fieldRefs resolved), memory
 * limit, read-only root with an emptyDir-like /tmp, all capabilities dropped, no-new-privileges,
 * uid/gid 65532, and the in-cluster config from KUBERNETES_SERVICE_HOST/PORT plus the mount. One
 * difference: the pod network is the host's loopback here, so HEALTH_ADDRESS (":8080" in the
 * chart) becomes 127.0.0.1 and a free port, so two containers and the rest of the machine do not
 * collide and nothing listens beyond loopback.
 */
export async function runOperatorContainer(o: RunOptions): Promise<OperatorContainer> {
  const { container, pod } = o.chart;
  const port = await freePort();
  const api = new URL(testCluster().server);
  const env: string[] = [];
  for (const e of container.env ?? []) {
    let value = e.value;
    if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") value = o.namespace;
    if (value === undefined) throw new Error(`env ${e.name}: unsupported valueFrom`);
    if (e.name === "HEALTH_ADDRESS") value = `127.0.0.1:${port}`;
    env.push("--env", `${e.name}=${value}`);
  }
  const memory = container.resources?.limits?.memory;
  const tmp = pod.volumes?.find((v) => v.name === "tmp")?.emptyDir?.sizeLimit ?? "64Mi";
  const sc = container.securityContext;
  if (!sc?.readOnlyRootFilesystem || sc.allowPrivilegeEscalation !== false) {
    throw new Error("the chart no longer asks for a read-only root without privilege escalation");
  }
  if (JSON.stringify(sc.capabilities?.drop) !== JSON.stringify(["ALL"])) {
    throw new Error("the chart no longer drops every capability");
  }
  const args = [
    "run",
    "--rm",
    "--name",
    o.name,
    "--hostname",
    o.name,
    "--network",
    "host",
    "--read-only",
    "--read-only-tmpfs=false",
    "--tmpfs",
    `/tmp:rw,size=${bytesOf(String(tmp))},mode=1777`,
    "--cap-drop=all",
    "--security-opt",
    "no-new-privileges",
    "--user",
    `${pod.securityContext?.runAsUser ?? 65532}:${pod.securityContext?.runAsGroup ?? 65532}`,
    ...(memory ? ["--memory", `${bytesOf(String(memory))}b`] : []),
    "--volume",
    `${o.mount.dir}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
    "--env",
    `KUBERNETES_SERVICE_HOST=${api.hostname}`,
    "--env",
    `KUBERNETES_SERVICE_PORT=${api.port}`,
    ...env,
    imageUnderTest().image,
    ...(container.args ?? []),
  ];
  const proc = startProcess(o.name, "podman", args, {
    env: podmanEnv(),
    logFile: path.join(o.logDir, `${o.name}.log`),
  });
  return { name: o.name, port, process: proc };
}

/** Removes containers a failed test left behind (podman run --rm removes the others). */
export async function removeContainers(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await podman(["rm", "--force", "--ignore", "--time", "0", ...names]).catch(() => undefined);
}

/** `podman inspect` of a running container: start time, restarts, memory limit. */
export async function inspect(
  name: string,
): Promise<{ running: boolean; startedAt: string; restarts: number; memory: number; user: string }> {
  const [c] = JSON.parse(await podman(["inspect", "--type", "container", name])) as Array<{
    State: { Running: boolean; StartedAt: string };
    RestartCount: number;
    HostConfig: { Memory: number };
    Config: { User: string };
  }>;
  if (!c) throw new Error(`no container ${name}`);
  return {
    running: c.State.Running,
    startedAt: c.State.StartedAt,
    restarts: c.RestartCount,
    memory: c.HostConfig.Memory,
    user: c.Config.User,
  };
}

// --- probes as the kubelet runs them -------------------------------------------------------------

/** The port number a probe's httpGet names (the container port's name, or a number). */
function probeUrl(probe: k8s.V1Probe, port: number): string {
  const get = probe.httpGet;
  if (!get) throw new Error("only httpGet probes are supported");
  return `http://127.0.0.1:${port}${get.path ?? "/"}`;
}

async function probeOnce(url: string, timeoutSeconds: number): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** A kubelet's verdict on an HTTP probe: any 2xx or 3xx status succeeds. */
export function probeSucceeded(status: number): boolean {
  return status >= 200 && status < 400;
}

/**
 * One probe of the chart, run as the kubelet runs it: every periodSeconds, each attempt with
 * timeoutSeconds, failureThreshold consecutive failures make it fail (a liveness or startup
 * failure restarts the container; a readiness failure takes it out of the Service).
 */
export class Prober {
  readonly statuses: number[] = [];
  private consecutiveFailures = 0;
  /** Most consecutive failures seen. */
  maxConsecutiveFailures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly probe: k8s.V1Probe,
    private readonly port: number,
  ) {}

  get failed(): boolean {
    return this.maxConsecutiveFailures >= (this.probe.failureThreshold ?? 3);
  }

  get lastStatus(): number | undefined {
    return this.statuses.at(-1);
  }

  async once(): Promise<number> {
    const status = await probeOnce(probeUrl(this.probe, this.port), this.probe.timeoutSeconds ?? 1);
    this.statuses.push(status);
    this.consecutiveFailures = probeSucceeded(status) ? 0 : this.consecutiveFailures + 1;
    this.maxConsecutiveFailures = Math.max(this.maxConsecutiveFailures, this.consecutiveFailures);
    return status;
  }

  /** The startup probe: resolves on the first success, rejects when the kubelet would give up. */
  async untilSuccess(whileAlive: ManagedProcess): Promise<number> {
    const threshold = this.probe.failureThreshold ?? 3;
    for (let attempt = 1; attempt <= threshold; attempt++) {
      if (whileAlive.child.exitCode !== null)
        throw new Error(`${whileAlive.name} exited:\n${whileAlive.tail()}`);
      if (probeSucceeded(await this.once())) return attempt;
      await new Promise((r) => setTimeout(r, (this.probe.periodSeconds ?? 10) * 1000));
    }
    throw new Error(`startup probe failed ${threshold} times; the kubelet would restart the container`);
  }

  start(): void {
    const tick = (): void => {
      void this.once().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, (this.probe.periodSeconds ?? 10) * 1000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

// --- the Lease -----------------------------------------------------------------------------------

export async function leaseHolder(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Lease | undefined> {
  try {
    return await client.get<Lease>(LEASE_RESOURCE, namespace, name);
  } catch {
    return undefined;
  }
}

/** Waits until the container's health port answers at all (the process is up). */
export async function waitListening(c: OperatorContainer): Promise<void> {
  await waitUntil(
    "the container's health port",
    async () => (await probeOnce(`http://127.0.0.1:${c.port}/healthz`, 1)) > 0,
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      whileAlive: c.process,
    },
  );
}

// --- one test file's world -----------------------------------------------------------------------

export const SANDBOX_TOKEN = "cd_image_tier_token";

/**
 * A namespace with the chart rendered for it (namespace-scoped mode), its ServiceAccount (and its
 * RBAC unless `rbac: false`), the CRDs, a sandbox on loopback and a ProviderConfig "default" for it.
 */
export interface ImageEnv {
  client: KubeClient;
  core: k8s.CoreV1Api;
  namespace: string;
  dir: string;
  chart: RenderedChart;
  sandbox: Sandbox;
  containers: OperatorContainer[];
  apply(obj: KubeObject): Promise<void>;
  /** A service-account mount holding a fresh token bound to the Secret `<name>-token-1`. */
  mount(name: string): Promise<{ mount: ServiceAccountMount; token: string }>;
  run(name: string, mount: ServiceAccountMount): Promise<OperatorContainer>;
  close(): Promise<void>;
}

export async function startImageEnv(
  prefix: string,
  opts: { rbac: boolean; sandbox?: SandboxOptions },
): Promise<ImageEnv> {
  const kc = testCluster().kubeConfig();
  const client = new KubeClient(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await installCrds(client);
  const namespace = await createNamespace(kc, prefix);
  const dir = mkdtempSync(path.join(os.tmpdir(), "cd-image-"));
  const chart = await renderChart(namespace);
  if (opts.rbac) await applyChartIdentity(chart);
  else await applyAsAdmin(chart.objects.filter((o) => o.kind === "ServiceAccount"));
  const sandbox = await startSandbox({
    tokens: [{ token: SANDBOX_TOKEN, projects: [PROJECT], name: "image" }],
    ...opts.sandbox,
  });
  const env: ImageEnv = {
    client,
    core,
    namespace,
    dir,
    chart,
    sandbox,
    containers: [],
    async apply(obj) {
      const rt = obj.kind === "Secret" ? SECRET_RESOURCE : resourceType(obj.kind as ManagedKind);
      const body = { ...obj, metadata: { ...obj.metadata, namespace } };
      await client.patch(rt, namespace, obj.metadata.name ?? "", body, "apply", {
        fieldManager: "image-tests",
        force: true,
      });
    },
    async mount(name) {
      const mount = new ServiceAccountMount(path.join(dir, `${name}-serviceaccount`), namespace);
      const token = await boundToken(client, core, namespace, chart.serviceAccount, `${name}-token-1`);
      mount.write(token);
      return { mount, token };
    },
    async run(name, mount) {
      const c = await runOperatorContainer({ name, chart, namespace, mount, logDir: dir });
      env.containers.push(c);
      return c;
    },
    async close() {
      await Promise.all(env.containers.map((c) => c.process.stop(15_000)));
      await removeContainers(env.containers.map((c) => c.name));
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await env.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "cd-token" },
    stringData: { token: SANDBOX_TOKEN },
  });
  await env.apply(providerConfig("default", sandbox.url, "cd-token"));
  return env;
}

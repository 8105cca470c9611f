// The local playground (`npm run playground`): a real kube-apiserver + etcd on loopback, the local
// Cloud Digit sandbox, the CRDs and the operator's least-privilege RBAC (config/rbac), the operator
// itself running with a token of its own ServiceAccount, and config/samples applied; a live table
// shows the objects converging, then it says how to use kubectl. Ctrl-C stops everything.
// PLAYGROUND_EXIT_AFTER_READY=true stops by itself once every sample is Ready (tests, timing).
// PLAYGROUND_S3=true also starts a real S3 server (versitygw) and adds a Bucket with its outputs.
// PLAYGROUND_OIDC=true starts Keycloak (Cloud Digit IAM) and switches the samples' ProviderConfig to
// workload identity: a ServiceAccount token (TokenRequest) exchanged for a Keycloak access token.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { parse, parseAllDocuments } from "yaml";
import { startSandbox, type Sandbox } from "../sandbox/server.ts";
import { resourceType } from "../src/controllers/kube/resources.ts";
import { KubeClient } from "../src/runtime/kube-client.ts";
import type { KubeObject, ResourceType } from "../src/runtime/resource.ts";
import { resolveKubeBinaries, startControlPlane, type ControlPlane } from "../test/support/control-plane.ts";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "../test/support/process.ts";
import { startKeycloak } from "../test/support/keycloak.ts";
import { startS3Server } from "../test/support/s3-server.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stateDir = process.env.PLAYGROUND_STATE_DIR ?? path.join(root, ".playground");
const exitAfterReady = process.env.PLAYGROUND_EXIT_AFTER_READY === "true";
const withS3 = process.env.PLAYGROUND_S3 === "true";
const withOidc = process.env.PLAYGROUND_OIDC === "true";
const OIDC_CLIENT = "playground";
const OIDC_SERVICE_ACCOUNT = "cloud";
const API_AUDIENCE = "clouddigit-api";
const readyTimeoutMs = Number(process.env.PLAYGROUND_READY_TIMEOUT_MS ?? 300_000);
const SAMPLE_TOKEN = "cd_sandbox_demo_token";
const SAMPLE_PORT = 8780; // the endpoint config/samples/provider-config.yaml names
const NAMESPACE = "default";
const OPERATOR_NAMESPACE = "clouddigit-system";
const began = Date.now();
const tty = process.stdout.isTTY === true;
const execFileAsync = promisify(execFile);

const seconds = (since = began): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const say = (line: string): void => {
  process.stdout.write(`[playground ${seconds().padStart(7)}] ${line}\n`);
};

const CRD_RESOURCE: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
};

/** Kinds the samples use, in the order the table lists them. */
const SAMPLE_KINDS = ["VPC", "Subnet", "SSHKey", "Volume", "VM"] as const;
const TABLE_KINDS = withS3 ? [...SAMPLE_KINDS, "Bucket" as const] : SAMPLE_KINDS;
const SECRET: ResourceType = {
  group: "",
  version: "v1",
  plural: "secrets",
  kind: "Secret",
  namespaced: true,
};

function yamlObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === "object" && "kind" in o);
}

/** CRDs from config/crd, server-side applied, then waited for until Established. */
async function installCrds(client: KubeClient): Promise<number> {
  const dir = path.join(root, "config/crd");
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")) {
    for (const crd of yamlObjects(path.join(dir, file))) {
      await client.patch(CRD_RESOURCE, undefined, crd.metadata.name ?? "", crd, "apply", {
        fieldManager: "clouddigit-playground",
        force: true,
      });
      names.push(crd.metadata.name ?? "");
    }
  }
  for (const name of names) {
    await waitUntil(
      `CRD ${name} Established`,
      async () => {
        const crd = await client.get<
          KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
        >(CRD_RESOURCE, undefined, name);
        return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      },
      { timeoutMs: 30_000 },
    );
  }
  return names.length;
}

const RBAC_RESOURCES: Record<string, ResourceType> = {
  Namespace: { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
  ServiceAccount: {
    group: "",
    version: "v1",
    plural: "serviceaccounts",
    kind: "ServiceAccount",
    namespaced: true,
  },
  ClusterRole: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "clusterroles",
    kind: "ClusterRole",
    namespaced: false,
  },
  ClusterRoleBinding: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "clusterrolebindings",
    kind: "ClusterRoleBinding",
    namespaced: false,
  },
  Role: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "roles",
    kind: "Role",
    namespaced: true,
  },
  RoleBinding: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    plural: "rolebindings",
    kind: "RoleBinding",
    namespaced: true,
  },
};

/** The operator's namespace and the RBAC of config/rbac (what `kubectl apply -k config/default` grants). */
async function installRbac(client: KubeClient): Promise<string> {
  const dir = path.join(root, "config/rbac");
  const kustomization = parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as {
    resources: string[];
  };
  const objects: KubeObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } },
    ...kustomization.resources.flatMap((f) => yamlObjects(path.join(dir, f))),
  ];
  let serviceAccount = "";
  for (const obj of objects) {
    const rt = RBAC_RESOURCES[obj.kind ?? ""];
    if (!rt) throw new Error(`config/rbac has an unexpected ${obj.kind ?? "object"}`);
    await client.patch(rt, obj.metadata.namespace, obj.metadata.name ?? "", obj, "apply", {
      fieldManager: "clouddigit-playground",
      force: true,
    });
    if (obj.kind === "ServiceAccount") serviceAccount = obj.metadata.name ?? "";
  }
  return serviceAccount;
}

/** A kubeconfig for the operator: the ServiceAccount's TokenRequest token, nothing else. */
async function operatorKubeconfig(cp: ControlPlane, serviceAccount: string, file: string): Promise<void> {
  const core = cp.kubeConfig().makeApiClient(k8s.CoreV1Api);
  const result = await core.createNamespacedServiceAccountToken({
    namespace: OPERATOR_NAMESPACE,
    name: serviceAccount,
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const token = result.status?.token;
  if (!token) throw new Error("TokenRequest returned no token");
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: "playground", server: cp.server, caData: Buffer.from(cp.caCertPem).toString("base64") },
    ],
    users: [{ name: serviceAccount, token }],
    contexts: [{ name: "operator", cluster: "playground", user: serviceAccount }],
    currentContext: "operator",
  });
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** The samples, applied as a user would: `kubectl apply -k config/samples` when the sandbox has the port they name. */
async function applySamples(
  kubectl: string,
  kubeconfig: string,
  sandbox: Sandbox,
  client: KubeClient,
  credentials: Record<string, unknown> | undefined,
  identity: string | undefined,
): Promise<string> {
  if (sandbox.port === SAMPLE_PORT && !credentials) {
    await execFileAsync(kubectl, [
      "--kubeconfig",
      kubeconfig,
      "-n",
      NAMESPACE,
      "apply",
      "-k",
      path.join(root, "config/samples"),
    ]);
    return "kubectl apply -k config/samples";
  }
  // Port 8780 was taken, or OIDC: the same objects, with the ProviderConfig adjusted.
  const dir = path.join(root, "config/samples");
  const kustomization = parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as {
    resources: string[];
  };
  for (const obj of kustomization.resources.flatMap((f) => yamlObjects(path.join(dir, f)))) {
    if (obj.kind === "ProviderConfig") {
      const spec = obj.spec as { endpoints: Record<string, string>; credentials: unknown };
      spec.endpoints.api = sandbox.url;
      if (identity) spec.endpoints.identity = identity;
      if (credentials) spec.credentials = credentials;
    }
    const rt: ResourceType =
      obj.kind === "Secret"
        ? SECRET
        : resourceType(obj.kind as (typeof SAMPLE_KINDS)[number] | "ProviderConfig");
    await client.patch(
      rt,
      NAMESPACE,
      obj.metadata.name ?? "",
      { ...obj, metadata: { ...obj.metadata, namespace: NAMESPACE } },
      "apply",
      {
        fieldManager: "kubectl",
        force: true,
      },
    );
  }
  return credentials
    ? `the objects of config/samples (ProviderConfig with OIDC workload identity: client "${OIDC_CLIENT}", ServiceAccount ${NAMESPACE}/${OIDC_SERVICE_ACCOUNT})`
    : `the objects of config/samples (ProviderConfig pointed at ${sandbox.url}, as port ${SAMPLE_PORT} was taken)`;
}

interface Row {
  kind: string;
  name: string;
  ready: string;
  reason: string;
  id: string;
  message: string;
}

async function readRows(client: KubeClient): Promise<Row[]> {
  const rows: Row[] = [];
  for (const kind of TABLE_KINDS) {
    const list = await client.list<
      KubeObject & { status?: { id?: string; conditions?: Array<Record<string, string>> } }
    >(resourceType(kind), { namespace: NAMESPACE });
    for (const o of list.items) {
      const ready = o.status?.conditions?.find((c) => c.type === "Ready");
      rows.push({
        kind,
        name: o.metadata.name ?? "",
        ready: ready?.status ?? "-",
        reason: ready?.reason ?? "(no status yet)",
        id: o.status?.id ?? "",
        message: ready?.message ?? "",
      });
    }
  }
  return rows;
}

function renderTable(rows: Row[], elapsed: string): string[] {
  const width = process.stdout.columns ?? 120;
  const header = ["KIND", "NAME", "READY", "REASON", "CLOUD ID", "MESSAGE"];
  const cells = rows.map((r) => [r.kind, r.name, r.ready, r.reason, r.id, r.message]);
  const widths = header.map((h, i) =>
    Math.min(i === 5 ? 200 : 32, Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0))),
  );
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .slice(0, Math.max(40, width - 1));
  const ready = rows.filter((r) => r.ready === "True").length;
  return [`${ready}/${rows.length} Ready after ${elapsed}`, line(header), ...cells.map(line)];
}

async function main(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  const kubeconfig = path.join(stateDir, "kubeconfig");
  const stopFns: Array<() => Promise<void>> = [];
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say(
        `stopping: operator, sandbox, ${withS3 ? "S3 server, " : ""}${withOidc ? "Keycloak, " : ""}kube-apiserver, etcd ...`,
      );
      for (const fn of stopFns.reverse()) {
        try {
          await fn();
        } catch (err) {
          process.stderr.write(
            `[playground] while stopping: ${err instanceof Error ? err.message : String(err)}\n`,
          );
        }
      }
      rmSync(kubeconfig, { force: true });
      rmSync(path.join(stateDir, "operator.kubeconfig"), { force: true });
      say("stopped; nothing left running");
    }
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    const cp = await startControlPlane({ log: (l) => say(l) });
    stopFns.push(() => cp.stop());
    copyFileSync(cp.kubeconfigPath, kubeconfig);
    const admin = new KubeClient(cp.kubeConfig());
    say(`control plane ready at ${cp.server}`);

    const crds = await installCrds(admin);
    const serviceAccount = await installRbac(admin);
    say(
      `${crds} CRDs installed; RBAC from config/rbac for ServiceAccount ${OPERATOR_NAMESPACE}/${serviceAccount}`,
    );

    let realmIssuer: string | undefined;
    if (withOidc) {
      say("starting Keycloak (Cloud Digit IAM) ...");
      const keycloak = await startKeycloak({ trustedCaPem: cp.caCertPem });
      stopFns.push(() => keycloak.stop());
      const realm = await keycloak.createRealm({
        name: "clouddigit",
        kubernetesIssuer: cp.issuer,
        clients: [
          { clientId: OIDC_CLIENT, serviceAccount: { namespace: NAMESPACE, name: OIDC_SERVICE_ACCOUNT } },
        ],
        apiAudience: API_AUDIENCE,
      });
      realmIssuer = realm.issuer;
      await admin.patch(
        RBAC_RESOURCES.ServiceAccount as ResourceType,
        NAMESPACE,
        OIDC_SERVICE_ACCOUNT,
        {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: OIDC_SERVICE_ACCOUNT, namespace: NAMESPACE },
        },
        "apply",
        { fieldManager: "clouddigit-playground", force: true },
      );
      say(
        `Keycloak realm ${realm.issuer} trusts ServiceAccount ${NAMESPACE}/${OIDC_SERVICE_ACCOUNT} as client "${OIDC_CLIENT}"`,
      );
    }
    const sandbox = await startSandbox({
      port: (await portIsFree(SAMPLE_PORT)) ? SAMPLE_PORT : 0,
      inspectPort: false,
      ...(realmIssuer
        ? { oidc: { issuer: realmIssuer, audience: API_AUDIENCE, acceptAzpAsAudience: false } }
        : {}),
      tokens: [{ token: SAMPLE_TOKEN, projects: ["demo"], name: "playground" }],
      // Slow enough to watch the table move, fast enough not to wait.
      delays: { vpc: 1000, subnet: 1000, volume: 1500, server: 3000 },
    });
    stopFns.push(() => sandbox.close());
    say(`Cloud Digit sandbox at ${sandbox.apiUrl} (token ${SAMPLE_TOKEN}, project demo)`);

    const operatorConfig = path.join(stateDir, "operator.kubeconfig");
    await operatorKubeconfig(cp, serviceAccount, operatorConfig);
    const healthPort = await freePort();
    const operatorLog = path.join(stateDir, "operator.log");
    rmSync(operatorLog, { force: true });
    const operator: ManagedProcess = startProcess(
      "operator",
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(root, "src/main.ts"),
        "--kubeconfig",
        operatorConfig,
        "--leader-elect",
        "--leader-election-namespace",
        OPERATOR_NAMESPACE,
        "--health-address",
        `127.0.0.1:${healthPort}`,
        "--poll-interval",
        "1s",
      ],
      { logFile: operatorLog, cwd: root },
    );
    stopFns.push(() => operator.stop(15_000));
    await waitUntil(
      "the operator's /readyz",
      async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok,
      { timeoutMs: 60_000, intervalMs: 250, whileAlive: operator },
    );
    say(
      `operator running as ${OPERATOR_NAMESPACE}/${serviceAccount} (log: ${operatorLog.startsWith(root) ? path.relative(root, operatorLog) : operatorLog})`,
    );

    const kubectl = resolveKubeBinaries().kubectl;
    const oidcCredentials = realmIssuer
      ? { source: "OIDC", oidc: { clientID: OIDC_CLIENT, serviceAccountName: OIDC_SERVICE_ACCOUNT } }
      : undefined;
    const how = await applySamples(kubectl, kubeconfig, sandbox, admin, oidcCredentials, realmIssuer);
    const appliedAt = Date.now();
    say(`applied ${how} in namespace ${NAMESPACE}`);
    if (withS3) {
      const s3 = await startS3Server();
      stopFns.push(() => s3.stop());
      await admin.patch(
        SECRET,
        NAMESPACE,
        "playground-s3-keys",
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "playground-s3-keys", namespace: NAMESPACE },
          stringData: { accessKeyID: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        },
        "apply",
        { fieldManager: "clouddigit-playground", force: true },
      );
      // The sample ProviderConfig learns the S3 endpoint and keys; then a Bucket with a ConfigMap output.
      await admin.patch(
        resourceType("ProviderConfig"),
        NAMESPACE,
        "default",
        {
          spec: {
            endpoints: { s3: s3.endpoint },
            credentials: { s3: { secretRef: { name: "playground-s3-keys" } } },
          },
        },
        "merge",
      );
      await admin.patch(
        resourceType("Bucket"),
        NAMESPACE,
        "assets",
        {
          apiVersion: "clouddigit.ai/v1alpha1",
          kind: "Bucket",
          metadata: { name: "assets", namespace: NAMESPACE },
          spec: {
            bucketName: "playground-assets",
            versioning: "Enabled",
            outputs: { configMapName: "assets-s3" },
          },
        },
        "apply",
        { fieldManager: "clouddigit-playground", force: true },
      );
      say(`S3 server (versitygw) at ${s3.endpoint}; applied Bucket assets with ConfigMap output assets-s3`);
    }

    let drawn = 0;
    let lastText = "";
    let rows: Row[] = [];
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      rows = await readRows(admin);
      const lines = renderTable(rows, seconds(appliedAt));
      const text = lines.slice(1).join("\n");
      if (tty) {
        if (drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
        process.stdout.write(`${lines.join("\n")}\n`);
        drawn = lines.length;
      } else if (text !== lastText) {
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      lastText = text;
      if (rows.length >= TABLE_KINDS.length && rows.every((r) => r.ready === "True")) break;
      if (Date.now() > deadline) {
        say(
          `not every sample is Ready after ${readyTimeoutMs / 1000} s; see ${operatorLog} and kubectl describe`,
        );
        return void (await stop(1));
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    say(
      `all ${rows.length} samples Ready ${seconds(appliedAt)} after they were applied (${seconds()} since start)`,
    );
    if (withOidc) {
      const asClient = sandbox.calls().filter((c) => c.token?.startsWith(`oidc:${OIDC_CLIENT}:`)).length;
      say(`the sandbox saw ${asClient} calls as OIDC client "${OIDC_CLIENT}" (Keycloak access tokens)`);
    }
    process.stdout.write(`
Everything runs on 127.0.0.1. In another terminal:

  export KUBECONFIG=${kubeconfig}
  kubectl get clouddigit                         # every Cloud Digit object, with Ready and cloud IDs
  kubectl describe vm web-1                      # conditions and events of one object
  kubectl get vm web-1 -o jsonpath='{.status.atProvider}{"\\n"}'
  kubectl wait --for=condition=Ready vpc/web     # what CI and GitOps tools wait on

Things to try:
  kubectl patch volume web-data --type merge -p '{"spec":{"sizeGiB":80}}'   # grow a volume
  kubectl annotate vm web-1 clouddigit.ai/paused=true                        # pause reconciliation
  kubectl delete vm web-1                                                     # the cloud server goes too
  curl -s -H 'X-Cd-Token: ${SAMPLE_TOKEN}' -H 'X-Cd-Project: demo' ${sandbox.apiUrl}/compute/servers

${withS3 ? "  kubectl get configmap assets-s3 -o yaml                   # the Bucket's connection details\n" : ""}
Operator: log ${operatorLog}, metrics http://127.0.0.1:${healthPort}/metrics
`);
    if (exitAfterReady) return void (await stop(0));
    say("press Ctrl-C to stop everything and remove all state");
  } catch (err) {
    process.stderr.write(`[playground] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    await stop(1);
  }
}

void main();

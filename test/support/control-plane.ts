import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { createTestPki, type TestPki } from "./certs.ts";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "./process.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A Kubernetes API to test against: one we started (etcd + kube-apiserver), or an existing cluster. */
export interface ControlPlane {
  /** True when this process started etcd and kube-apiserver (and may restart or compact them). */
  readonly owned: boolean;
  readonly server: string;
  readonly kubeconfigPath: string;
  /** The service-account token issuer (https, loopback). */
  readonly issuer: string;
  /** PEM of the CA that signed the apiserver's serving certificate (empty for existing clusters). */
  readonly caCertPem: string;
  readonly etcdEndpoint: string;
  readonly auditLogPath: string | undefined;
  readonly dir: string;
  kubeConfig(): k8s.KubeConfig;
  /** Stops kube-apiserver and starts it again on the same port, against the same etcd. */
  restartApiServer(): Promise<void>;
  /** Compacts etcd to its current revision, so older watches get 410 Gone. */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Write an audit log of every request (metadata level). */
  audit?: boolean;
  extraApiServerArgs?: string[];
  /** Print progress lines. */
  log?: (line: string) => void;
}

interface Binaries {
  kubeApiServer: string;
  etcd: string;
  kubectl: string;
}

/** Finds kube-apiserver, etcd and kubectl: envtest variables first, else scripts/testbin (builds once, cached). */
export function resolveKubeBinaries(): Binaries {
  const assets = process.env.KUBEBUILDER_ASSETS;
  const fromAssets = (b: string): string | undefined => (assets ? path.join(assets, b) : undefined);
  let kubeApiServer = process.env.TEST_ASSET_KUBE_APISERVER ?? fromAssets("kube-apiserver");
  let etcd = process.env.TEST_ASSET_ETCD ?? fromAssets("etcd");
  let kubectl = process.env.TEST_ASSET_KUBECTL ?? fromAssets("kubectl");
  if (!kubeApiServer || !etcd || !kubectl) {
    const out = execFileSync(path.join(repoRoot, "scripts/testbin"), ["--print-env", "kube"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    const dir = /^CLOUDDIGIT_KUBE_ASSETS=(.*)$/m.exec(out)?.[1];
    if (dir) {
      kubeApiServer ??= path.join(dir, "kube-apiserver");
      etcd ??= path.join(dir, "etcd");
      kubectl ??= path.join(dir, "kubectl");
    }
  }
  if (!kubeApiServer || !etcd) throw new Error("kube-apiserver/etcd not found; run scripts/testbin kube");
  return { kubeApiServer, etcd, kubectl: kubectl ?? "kubectl" };
}

function httpsGetStatus(url: string, pki: TestPki): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

async function etcdPost(endpoint: string, apiPath: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${endpoint}${apiPath}`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`etcd ${apiPath}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
`;

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => undefined);
  const bins = resolveKubeBinaries();
  const dir = mkdtempSync(path.join(os.tmpdir(), "cd-controlplane-"));
  const pki = createTestPki(dir);
  const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdEndpoint = `http://127.0.0.1:${etcdClientPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const processes: ManagedProcess[] = [];

  const stopAll = async (): Promise<void> => {
    for (const p of [...processes].reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    log(`starting etcd on ${etcdEndpoint}`);
    const etcd = startProcess(
      "etcd",
      bins.etcd,
      [
        `--data-dir=${path.join(dir, "etcd-data")}`,
        `--listen-client-urls=${etcdEndpoint}`,
        `--advertise-client-urls=${etcdEndpoint}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      // etcd holds the data dir: once it is gone with no test process left, the dir goes too.
      { logFile: path.join(dir, "etcd.log"), orphanDir: dir },
    );
    processes.push(etcd);
    await waitUntil("etcd health", async () => (await fetch(`${etcdEndpoint}/health`)).ok, {
      timeoutMs: 30_000,
      whileAlive: etcd,
    });

    const issuer = server;
    const auditLogPath = opts.audit ? path.join(dir, "audit.log") : undefined;
    const apiArgs = [
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--etcd-servers=${etcdEndpoint}`,
      `--cert-dir=${path.join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      "--disable-admission-plugins=ServiceAccount",
      `--service-account-issuer=${issuer}`,
      `--service-account-jwks-uri=${issuer}/openid/v1/jwks`,
      `--service-account-signing-key-file=${pki.saSigningKey}`,
      `--service-account-key-file=${pki.saPublicKey}`,
      "--v=0",
      ...(opts.extraApiServerArgs ?? []),
    ];
    if (auditLogPath) {
      const policy = path.join(dir, "audit-policy.yaml");
      writeFileSync(policy, AUDIT_POLICY);
      apiArgs.push(
        `--audit-policy-file=${policy}`,
        `--audit-log-path=${auditLogPath}`,
        "--audit-log-format=json",
      );
    }
    mkdirSync(path.join(dir, "apiserver-certs"), { recursive: true });

    let apiserver: ManagedProcess | undefined;
    const startApiServer = async (): Promise<void> => {
      log(`starting kube-apiserver on ${server}`);
      apiserver = startProcess("kube-apiserver", bins.kubeApiServer, apiArgs, {
        logFile: path.join(dir, "kube-apiserver.log"),
      });
      processes.push(apiserver);
      await waitUntil(
        "kube-apiserver /readyz",
        async () => (await httpsGetStatus(`${server}/readyz`, pki)) === 200,
        {
          timeoutMs: 90_000,
          intervalMs: 250,
          whileAlive: apiserver,
        },
      );
    };
    await startApiServer();

    const caCertPem = readFileSync(pki.caCert, "utf8");
    const kubeconfigPath = path.join(dir, "kubeconfig");
    writeFileSync(
      kubeconfigPath,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "test",
            cluster: { server, "certificate-authority-data": Buffer.from(caCertPem).toString("base64") },
          },
        ],
        users: [
          {
            name: "admin",
            user: {
              "client-certificate-data": readFileSync(pki.adminCert).toString("base64"),
              "client-key-data": readFileSync(pki.adminKey).toString("base64"),
            },
          },
        ],
        contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
        "current-context": "test",
      }),
    );
    const kubeConfig = (): k8s.KubeConfig => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    };
    await allowAnonymousIssuerDiscovery(kubeConfig());

    return {
      owned: true,
      server,
      kubeconfigPath,
      issuer,
      caCertPem,
      etcdEndpoint,
      auditLogPath,
      dir,
      kubeConfig,
      async restartApiServer() {
        if (apiserver) {
          await apiserver.stop();
          processes.splice(processes.indexOf(apiserver), 1);
        }
        await startApiServer();
      },
      async compactEtcd() {
        const range = await etcdPost(etcdEndpoint, "/v3/kv/range", {
          key: Buffer.from("/").toString("base64"),
        });
        const header = range.header as { revision: string };
        await etcdPost(etcdEndpoint, "/v3/kv/compaction", { revision: header.revision, physical: true });
        return Number(header.revision);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** OIDC verifiers (Keycloak, the sandbox) fetch the issuer's discovery document and JWKS anonymously. */
async function allowAnonymousIssuerDiscovery(kc: k8s.KubeConfig): Promise<void> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: "service-account-issuer-discovery-unauthenticated" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "system:service-account-issuer-discovery",
      },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:unauthenticated" }],
    },
  });
}

/** envtest's USE_EXISTING_CLUSTER=true: the current kubeconfig context (e.g. a kind cluster). */
export function connectExistingCluster(): ControlPlane {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("USE_EXISTING_CLUSTER=true but the kubeconfig has no current cluster");
  const dir = mkdtempSync(path.join(os.tmpdir(), "cd-existing-"));
  const kubeconfigPath = path.join(dir, "kubeconfig");
  writeFileSync(kubeconfigPath, kc.exportConfig());
  const unsupported = (what: string) => () =>
    Promise.reject(new Error(`${what} needs a control plane started by the tests`));
  return {
    owned: false,
    server: cluster.server,
    kubeconfigPath,
    issuer: process.env.CLOUDDIGIT_TEST_ISSUER ?? "https://kubernetes.default.svc.cluster.local",
    caCertPem: cluster.caData ? Buffer.from(cluster.caData, "base64").toString("utf8") : "",
    etcdEndpoint: "",
    auditLogPath: undefined,
    dir,
    kubeConfig: () => {
      const c = new k8s.KubeConfig();
      c.loadFromFile(kubeconfigPath);
      return c;
    },
    restartApiServer: unsupported("restarting kube-apiserver"),
    compactEtcd: unsupported("compacting etcd"),
    async stop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function useExistingCluster(): boolean {
  return process.env.USE_EXISTING_CLUSTER === "true";
}

import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import {
  connectExistingCluster,
  startControlPlane,
  useExistingCluster,
  type ControlPlane,
} from "./control-plane.ts";

export interface ProvidedControlPlane {
  owned: boolean;
  server: string;
  kubeconfigPath: string;
  issuer: string;
  caCertPem: string;
  /** Loopback URL of this process's control endpoint: POST /restart-apiserver, POST /compact-etcd. */
  controlUrl: string;
  auditLogPath: string | undefined;
}

declare module "vitest" {
  export interface ProvidedContext {
    controlPlane: ProvidedControlPlane;
  }
}

// The integration and e2e projects both name this file; they share one control plane per run.
interface Shared {
  users: number;
  ready: Promise<{ cp: ControlPlane; provided: ProvidedControlPlane; control: http.Server }>;
}
const key = Symbol.for("clouddigit.test.controlPlane");
const g = globalThis as unknown as Record<symbol, Shared | undefined>;

async function start(): Promise<{ cp: ControlPlane; provided: ProvidedControlPlane; control: http.Server }> {
  const began = Date.now();
  const cp = useExistingCluster()
    ? connectExistingCluster()
    : await startControlPlane({ audit: true, log: (l) => console.log(`[control-plane] ${l}`) });
  console.log(
    `[control-plane] ${cp.owned ? "started" : "using existing cluster"} ${cp.server} in ${Date.now() - began} ms`,
  );
  // Workers cannot call into this process directly; they ask over loopback HTTP.
  const control = http.createServer((req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const act =
      req.method === "POST" && req.url === "/restart-apiserver"
        ? cp.restartApiServer().then(() => ({}))
        : req.method === "POST" && req.url === "/compact-etcd"
          ? cp.compactEtcd().then((revision) => ({ revision }))
          : undefined;
    if (!act) return reply(404, { error: "unknown" });
    act.then(
      (body) => reply(200, body),
      (err: unknown) => reply(500, { error: String(err) }),
    );
  });
  await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
  const provided: ProvidedControlPlane = {
    owned: cp.owned,
    server: cp.server,
    kubeconfigPath: cp.kubeconfigPath,
    issuer: cp.issuer,
    caCertPem: cp.caCertPem,
    controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    auditLogPath: cp.auditLogPath,
  };
  return { cp, provided, control };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = (g[key] ??= { users: 0, ready: start() });
  shared.users++;
  const { provided } = await shared.ready;
  project.provide("controlPlane", provided);
  return async () => {
    if (--shared.users > 0) return;
    g[key] = undefined;
    const { cp, control } = await shared.ready;
    control.close();
    await cp.stop();
  };
}

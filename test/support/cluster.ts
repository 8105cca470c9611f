import { inject } from "vitest";
import * as k8s from "@kubernetes/client-node";
import type { ProvidedControlPlane } from "./global-setup.ts";

/** The run's shared Kubernetes API, as seen from a test worker. */
export interface TestCluster extends ProvidedControlPlane {
  kubeConfig(): k8s.KubeConfig;
  restartApiServer(): Promise<void>;
  compactEtcd(): Promise<number>;
}

async function control(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: "POST" });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(String(body.error));
  return body;
}

export function testCluster(): TestCluster {
  const p = inject("controlPlane");
  return {
    ...p,
    kubeConfig() {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(p.kubeconfigPath);
      return kc;
    },
    restartApiServer: async () => {
      await control(`${p.controlUrl}/restart-apiserver`);
    },
    compactEtcd: async () => Number((await control(`${p.controlUrl}/compact-etcd`)).revision),
  };
}

/** A fresh namespace per test file keeps tests independent on the shared control plane. */
export async function createNamespace(kc: k8s.KubeConfig, prefix: string): Promise<string> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

// The local playground: a real kube-apiserver + etcd on loopback with the operator's CRDs.
// Later issues add the local Cloud Digit sandbox, the operator and the samples (issue 8).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { startControlPlane } from "../test/support/control-plane.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (line: string): void => console.log(`[playground] ${line}`);

async function installCrds(kc: k8s.KubeConfig): Promise<number> {
  const dir = path.join(root, "config/crd");
  if (!existsSync(dir)) return 0;
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  let count = 0;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), "utf8"))) {
      const obj = doc.toJS() as k8s.KubernetesObject | null;
      if (obj?.kind !== "CustomResourceDefinition") continue;
      await api.create(obj);
      count++;
    }
  }
  return count;
}

async function main(): Promise<void> {
  const began = Date.now();
  const cp = await startControlPlane({ log: say });
  const stateDir = path.join(root, ".playground");
  mkdirSync(stateDir, { recursive: true });
  const kubeconfig = path.join(stateDir, "kubeconfig");
  copyFileSync(cp.kubeconfigPath, kubeconfig);
  const crds = await installCrds(cp.kubeConfig());
  say(
    `control plane ready at ${cp.server} in ${((Date.now() - began) / 1000).toFixed(1)} s; ${crds} CRDs installed`,
  );
  console.log(`
Next steps, in another terminal:
  export KUBECONFIG=${kubeconfig}
  kubectl get namespaces
  kubectl api-resources --api-group=clouddigit.ai
  kubectl explain vpc.spec        # once the CRDs exist

Not here yet (honestly): the local Cloud Digit sandbox, the operator and the samples join the
playground as their issues land. Press Ctrl-C to stop everything and remove all state.
`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    say("stopping ...");
    cp.stop().then(
      () => {
        say("stopped; nothing left running");
        process.exit(0);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  if (process.env.PLAYGROUND_EXIT_AFTER_READY === "true") stop();
}

main().catch((err: unknown) => {
  console.error(`[playground] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

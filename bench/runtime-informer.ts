/**
 * Informer memory per 1,000 cached objects, against a real kube-apiserver + etcd started here.
 * Creates --objects Widgets (a CRD shaped like a typical managed resource: labels, a spec of a
 * dozen fields, a status with conditions), then measures the heap growth of an informer's cache
 * after a forced GC, with and without stripping managedFields, and the list+sync time.
 *
 *   scripts/with-node --expose-gc --import tsx bench/runtime-informer.ts [--objects 5000]
 *
 * Each heap measurement runs in a fresh child process (same script) against the objects created here.
 *
 * Bounded: --objects creates, one list per informer.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { Informer, stripManagedFields } from "../src/runtime/informer.ts";
import { KubeClient } from "../src/runtime/kube-client.ts";
import { writeStatus } from "../src/runtime/status.ts";
import { setCondition } from "../src/runtime/conditions.ts";
import { startControlPlane } from "../test/support/control-plane.ts";
import { inParallel, installWidgetCrd, WIDGET, type Widget } from "../test/integration/runtime/support.ts";

const { values } = parseArgs({ options: { objects: { type: "string", default: "5000" } } });
const total = Number(values.objects);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

if (process.env.RT_BENCH_KUBECONFIG) {
  await measureInformer(
    process.env.RT_BENCH_KUBECONFIG,
    process.env.RT_BENCH_NS ?? "bench",
    process.env.RT_BENCH_VARIANT === "stripped",
  );
  process.exit(0);
}

async function measureInformer(kubeconfigPath: string, ns: string, strip: boolean): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const client = new KubeClient(kc);
  await client.list(WIDGET, { namespace: ns, limit: 1 }); // warm the connection and modules
  const before = heapUsed();
  const informer = new Informer<Widget>(client, WIDGET, {
    namespaces: [ns],
    ...(strip ? { transform: stripManagedFields } : {}),
  });
  const t0 = Date.now();
  informer.start();
  await informer.waitForSync();
  const syncMs = Date.now() - t0;
  const after = heapUsed();
  const size = informer.store.size;
  await informer.stop();
  const perThousand = ((after - before) / size) * 1000;
  console.log(
    `informer${strip ? " (managedFields stripped)" : ""}: ${size} objects, list+sync ${syncMs} ms, ` +
      `heap +${((after - before) / 1048576).toFixed(1)} MiB = ${(perThousand / 1048576).toFixed(2)} MiB per 1,000 objects`,
  );
}

const cp = await startControlPlane({ log: (l) => console.error(`[control-plane] ${l}`) });
try {
  const client = new KubeClient(cp.kubeConfig());
  await installWidgetCrd(client);
  const ns = "bench";
  await client.request("POST", "/api/v1/namespaces", { body: { metadata: { name: ns } } });
  const began = Date.now();
  await inParallel(
    Array.from({ length: total }, (_, i) => i),
    32,
    async (i) => {
      if (i % 1000 === 0) console.error(`creating object ${i}`);
      const w = await client.create<Widget>(WIDGET, {
        metadata: {
          namespace: ns,
          name: `subnet-${String(i).padStart(6, "0")}`,
          labels: { "app.kubernetes.io/part-of": "bench", team: "platform", env: i % 2 ? "prod" : "dev" },
        },
        spec: {
          size: i,
          configMapRef: `vpc-${i % 50}`,
          payload: `10.${(i >> 8) & 255}.${i & 255}.0/24 zone-a dhcp`,
        },
      });
      const conditions = setCondition(
        setCondition([], {
          type: "Ready",
          status: "True",
          reason: "Available",
          message: "subnet is available",
          observedGeneration: 1,
        }),
        { type: "Synced", status: "True", reason: "ReconcileSuccess", message: "", observedGeneration: 1 },
      );
      await writeStatus(client, WIDGET, w, {
        id: `sn-${i.toString(16).padStart(8, "0")}`,
        state: "available",
        observedGeneration: 1,
        atProvider: { cidr: `10.0.${i & 255}.0/24`, gateway: `10.0.${i & 255}.1`, availableIps: 251 },
        conditions,
      });
    },
  );
  console.log(`created ${total} objects (with status) in ${Date.now() - began} ms`);
  const sample = (await client.list(WIDGET, { namespace: ns, limit: 1 })).items[0];
  console.log(`one object as JSON: ${JSON.stringify(sample).length} bytes`);

  // Each measurement in a fresh process, so nothing retained by an earlier informer skews the heap.
  for (const variant of ["full", "stripped", "full", "stripped"]) {
    const out = execFileSync(
      process.execPath,
      ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url)],
      {
        env: {
          ...process.env,
          RT_BENCH_KUBECONFIG: cp.kubeconfigPath,
          RT_BENCH_VARIANT: variant,
          RT_BENCH_NS: ns,
        },
        encoding: "utf8",
      },
    );
    process.stdout.write(out);
  }
} finally {
  await cp.stop();
}

import { setTimeout as delay } from "node:timers/promises";
import { isAlreadyExists, type KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject, ResourceType } from "../../../src/runtime/resource.ts";

/** The test kind: a namespaced Widget with a status subresource and a reference to a ConfigMap. */
export const WIDGET: ResourceType = {
  group: "test.clouddigit.ai",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
  namespaced: true,
};

export const CONFIGMAP: ResourceType = {
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
};
export const EVENT_V1: ResourceType = {
  group: "",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true,
};
export const LEASE: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};

const CRD: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
};

export interface Widget extends KubeObject {
  spec?: { size?: number; configMapRef?: string; payload?: string };
  status?: Record<string, unknown>;
}

/** Installs the Widget CRD (once per control plane) and waits until it is served. */
export async function installWidgetCrd(client: KubeClient): Promise<void> {
  const crd = {
    metadata: { name: "widgets.test.clouddigit.ai" },
    spec: {
      group: WIDGET.group,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: {
                    size: { type: "integer" },
                    configMapRef: { type: "string" },
                    payload: { type: "string" },
                  },
                },
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  };
  try {
    await client.create(CRD, crd);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.list(WIDGET, { namespace: "default", limit: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await delay(200);
    }
  }
}

export function widget(namespace: string, name: string, spec: Widget["spec"] = {}): Widget {
  return { metadata: { namespace, name }, spec };
}

/** Runs fn over items with at most `parallel` in flight. */
export async function inParallel<T>(
  items: T[],
  parallel: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

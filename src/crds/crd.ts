// Builds the CustomResourceDefinition object of one kind from its registry entry.
import { CATEGORY, type KindDefinition } from "./common.ts";
import { toStructural, type JSONSchemaProps } from "./structural.ts";

/** The status a new object is served with before the operator has written any. */
export const UNOBSERVED_STATUS = { observedGeneration: 0 } as const;

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: JSONSchemaProps;
}

export function crdName(def: KindDefinition): string {
  return `${def.plural}.${def.group}`;
}

export function buildCrd(def: KindDefinition): CustomResourceDefinition {
  const openAPIV3Schema: JSONSchemaProps = {
    description: def.description,
    type: "object",
    required: ["spec"],
    properties: {
      apiVersion: {
        description:
          "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.",
        type: "string",
      },
      kind: {
        description:
          "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.",
        type: "string",
      },
      metadata: { type: "object" },
      spec: toStructural(def.spec),
      // Served until the operator first writes status (the apiserver defaults on every read and
      // drops status on create): generation 1 not yet observed, so kstatus, Flux and Argo CD read a
      // new object as in progress, where a status-less object would count as ready.
      status: { ...toStructural(def.status), default: UNOBSERVED_STATUS },
    },
    ...(def.rootRules && def.rootRules.length > 0 ? { "x-kubernetes-validations": def.rootRules } : {}),
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: crdName(def),
      labels: { "app.kubernetes.io/part-of": "clouddigit-operator" },
    },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: [CATEGORY],
      },
      scope: def.namespaced ? "Namespaced" : "Cluster",
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

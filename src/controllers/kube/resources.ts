// The Kubernetes resource types the controllers read and write: every CRD kind, and the core
// objects they touch (Secrets, ConfigMaps).
import { kinds as crdKinds } from "../../crds/index.ts";
import type { ResourceType } from "../../runtime/resource.ts";

export function resourceType(kind: keyof typeof crdKinds): ResourceType {
  const def = crdKinds[kind];
  return {
    group: def.group,
    version: def.version,
    plural: def.plural,
    kind: def.kind,
    namespaced: def.namespaced,
  };
}

export const SECRET_RESOURCE: ResourceType = {
  group: "",
  version: "v1",
  plural: "secrets",
  kind: "Secret",
  namespaced: true,
};

export const CONFIG_MAP_RESOURCE: ResourceType = {
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
};

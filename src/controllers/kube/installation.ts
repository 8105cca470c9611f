// The installation identity: one stable ID per operator installation, written into the ownership
// tags of every cloud resource it manages, so a rebuilt cluster can recognise its resources and a
// second cluster on the same project can tell they are managed elsewhere (docs/rebuild-and-twins.md).
//
// Set explicitly (chart value `installationID`, flag --installation-id), it survives everything,
// a rebuild from Git included. Unset, it is derived from the UID of the kube-system namespace: as
// stable as the cluster (a reinstall or upgrade of the operator keeps it), new for a new cluster,
// and it needs no write and no coordination between replicas.
import type { KubeClient } from "../../runtime/kube-client.ts";
import type { ResourceType } from "../../runtime/resource.ts";

/** The installation IDs we accept: what fits a tag value and reads well in messages. */
export const INSTALLATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const NAMESPACE_RESOURCE: ResourceType = {
  group: "",
  version: "v1",
  plural: "namespaces",
  kind: "Namespace",
  namespaced: false,
};

/** The namespace whose UID names a cluster: every cluster has it, and nobody deletes it. */
export const IDENTITY_NAMESPACE = "kube-system";

export async function resolveInstallationID(
  client: Pick<KubeClient, "get">,
  configured: string | undefined,
  signal?: AbortSignal,
): Promise<string> {
  if (configured) return configured;
  let uid: string | undefined;
  try {
    const ns = await client.get(NAMESPACE_RESOURCE, undefined, IDENTITY_NAMESPACE, signal);
    uid = ns.metadata.uid;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot derive the installation ID from the ${IDENTITY_NAMESPACE} namespace (${why}); grant get on namespaces/${IDENTITY_NAMESPACE} or set --installation-id (chart value installationID)`,
      { cause: err },
    );
  }
  if (!uid) throw new Error(`the ${IDENTITY_NAMESPACE} namespace has no UID; set --installation-id`);
  return `cluster-${uid}`;
}

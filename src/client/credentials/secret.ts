import type * as k8s from "@kubernetes/client-node";

/** The subset of CoreV1Api needed to read a Secret (injectable in tests). */
export type SecretReadApi = Pick<k8s.CoreV1Api, "readNamespacedSecret">;

/**
 * Reads one key of a Secret as text. Errors name the Secret and key, never the value. The
 * controllers layer watches Secrets and calls `StaticTokenCredential.update()` on change; this
 * is the one-off read (startup, or the `reload` after a 401).
 */
export async function readSecretKey(
  api: SecretReadApi,
  namespace: string,
  name: string,
  key: string,
): Promise<string> {
  let secret: k8s.V1Secret;
  try {
    secret = await api.readNamespacedSecret({ namespace, name });
  } catch (err) {
    const code = (err as { code?: number }).code;
    const why =
      code === 404
        ? "does not exist"
        : code === 403
          ? "may not be read by the operator (RBAC)"
          : "could not be read";
    throw new Error(`Secret ${namespace}/${name} ${why}`, { cause: err });
  }
  const encoded = secret.data?.[key];
  if (encoded === undefined) {
    const keys = Object.keys(secret.data ?? {}).sort();
    throw new Error(`Secret ${namespace}/${name} has no key "${key}" (keys: ${keys.join(", ") || "none"})`);
  }
  const value = Buffer.from(encoded, "base64").toString("utf8").trim();
  if (value === "") throw new Error(`Secret ${namespace}/${name} key "${key}" is empty`);
  return value;
}

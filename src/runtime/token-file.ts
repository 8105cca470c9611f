import { readFile, stat } from "node:fs/promises";
import type { KubeConfig, User } from "@kubernetes/client-node";

/** The auth-provider name this module gives the in-cluster user (client-node's own reads tokenFile). */
const PROVIDER = "clouddigit-rotating-token-file";

/**
 * The in-cluster service-account token, re-read as soon as the kubelet rotates it. client-node's
 * own tokenFile provider re-reads the file only once a minute, so for up to 60 s after a rotation
 * it keeps sending the old token; once that token is no longer valid, every request fails with
 * 401 (the Lease renewal first, and leadership is lost). This checks the file's identity (inode,
 * size, mtime: the kubelet swaps in a new file) before each request and re-reads it when it
 * changed. A failed check keeps the token last read.
 */
export class RotatingTokenFile {
  private token: string | undefined;
  private seen = "";

  constructor(readonly path: string) {}

  async current(): Promise<string> {
    try {
      const s = await stat(this.path);
      const identity = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
      if (identity !== this.seen || this.token === undefined) {
        this.token = (await readFile(this.path, "utf8")).trim();
        this.seen = identity;
      }
    } catch (err) {
      if (this.token === undefined) throw err;
    }
    return this.token;
  }
}

/**
 * Switches an in-cluster KubeConfig (loadFromCluster) from client-node's tokenFile provider to
 * RotatingTokenFile. Any other kubeconfig is left as it is.
 */
export function useRotatingTokenFile(kc: KubeConfig): void {
  const user = kc.getCurrentUser();
  const path = (user?.authProvider as { config?: { tokenFile?: unknown } } | undefined)?.config?.tokenFile;
  if (!user || typeof path !== "string") return;
  const file = new RotatingTokenFile(path);
  kc.addAuthenticator({
    isAuthProvider: (u: User) => (u.authProvider as { name?: unknown } | undefined)?.name === PROVIDER,
    async applyAuthentication(_u: User, opts: { headers?: Record<string, unknown> }) {
      opts.headers ??= {};
      opts.headers.Authorization = `Bearer ${await file.current()}`;
    },
  });
  kc.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users.map((u) =>
      u === user ? { name: u.name, authProvider: { name: PROVIDER, config: {} } } : u,
    ),
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
}

import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, RequestContext, HttpMethod } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestPki } from "../../test/support/certs.ts";
import { useRotatingTokenFile } from "./token-file.ts";

const dir = mkdtempSync(join(tmpdir(), "token-file-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const saved = { ...process.env };
beforeEach(() => {
  process.env.KUBERNETES_SERVICE_HOST = "127.0.0.1";
  process.env.KUBERNETES_SERVICE_PORT = "6443";
});
afterEach(() => {
  process.env = { ...saved };
});

/** The Authorization header a request through this KubeConfig carries. */
async function authorization(kc: KubeConfig): Promise<string | undefined> {
  const ctx = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getHeaders().Authorization;
}

/** A kubelet-style rotation: the new token goes to a new file, renamed over the old one. */
function rotate(file: string, token: string): void {
  writeFileSync(`${file}.new`, token);
  renameSync(`${file}.new`, file);
}

describe("useRotatingTokenFile", () => {
  it("sends the rotated token with the very next request", async () => {
    // loadFromCluster(prefix) reads <prefix>/var/run/secrets/kubernetes.io/serviceaccount/*.
    const prefix = join(dir, "pod");
    const mount = join(prefix, "var/run/secrets/kubernetes.io/serviceaccount");
    mkdirSync(mount, { recursive: true });
    writeFileSync(join(mount, "ca.crt"), readFileSync(createTestPki(dir).caCert));
    const tokenFile = join(mount, "token");
    writeFileSync(tokenFile, "first\n");
    const kc = new KubeConfig();
    kc.loadFromCluster(prefix);
    useRotatingTokenFile(kc);
    expect(await authorization(kc)).toBe("Bearer first");
    rotate(tokenFile, "second");
    expect(await authorization(kc)).toBe("Bearer second");
    // A failed read (the file briefly missing) keeps the last token.
    rmSync(tokenFile);
    expect(await authorization(kc)).toBe("Bearer second");
    rotate(tokenFile, "third");
    expect(await authorization(kc)).toBe("Bearer third");
    expect(kc.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
  });

  it("leaves a kubeconfig without a token file as it is", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: false }],
      users: [{ name: "u", token: "static" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    useRotatingTokenFile(kc);
    expect(await authorization(kc)).toBe("Bearer static");
  });
});

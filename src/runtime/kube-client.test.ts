import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { HttpMethod, KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createTestPki } from "../../test/support/certs.ts";
import { ApiError, KubeClient } from "./kube-client.ts";

let server: Server | undefined;
const pkiDir = mkdtempSync(join(tmpdir(), "kube-client-test-"));
const pki = createTestPki(pkiDir);

afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback "apiserver" that reads requests and answers them only when told to. */
async function silentServer(answer: (path: string) => boolean): Promise<string> {
  server = createServer(
    { cert: readFileSync(pki.servingCert), key: readFileSync(pki.servingKey) },
    (req, res) => {
      if (answer(req.url ?? "")) {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ kind: "ConfigMap", metadata: { name: "x" } }));
      }
      // Otherwise hold the connection open without a byte, like a half-dead apiserver.
    },
  );
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `https://127.0.0.1:${(server?.address() as AddressInfo).port}`;
}

function clientFor(url: string, requestTimeoutMs: number): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: url, caFile: pki.caCert }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return new KubeClient(kc, { requestTimeoutMs });
}

const CONFIGMAPS = {
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
} as const;

describe("KubeClient request deadline", () => {
  it("fails a request the server never answers with a Timeout error instead of hanging", async () => {
    const client = clientFor(await silentServer(() => false), 300);
    const err = await client.get(CONFIGMAPS, "default", "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe("Timeout");
    expect((err as ApiError).message).toMatch(/GET \/api\/v1\/namespaces\/default\/configmaps\/x.*300 ms/);
  });

  it("answers normally when the server responds, and keeps a caller's abort an abort", async () => {
    const client = clientFor(await silentServer((path) => path.endsWith("/ok")), 5_000);
    await expect(client.get(CONFIGMAPS, "default", "ok")).resolves.toMatchObject({ metadata: { name: "x" } });
    const caller = new AbortController();
    const pending = client.request(HttpMethod.GET, "/api/v1/namespaces/default/configmaps/hang", {
      signal: caller.signal,
    });
    caller.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiError);
    expect((err as Error).name).toBe("AbortError");
  });
});

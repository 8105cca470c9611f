import { describe, expect, it } from "vitest";
import { readSecretKey, type SecretReadApi } from "./secret.ts";

const api = (data: Record<string, string> | Error): SecretReadApi => ({
  readNamespacedSecret: async () => {
    if (data instanceof Error) throw data;
    return {
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    };
  },
});

describe("readSecretKey", () => {
  it("returns the decoded, trimmed value", async () => {
    expect(await readSecretKey(api({ token: "cd_abc\n" }), "ns", "creds", "token")).toBe("cd_abc");
  });
  it("names the Secret and the keys it has, never a value", async () => {
    await expect(readSecretKey(api({ other: "cd_secret" }), "ns", "creds", "token")).rejects.toThrow(
      'Secret ns/creds has no key "token" (keys: other)',
    );
  });
  it("explains a missing Secret", async () => {
    const missing = Object.assign(new Error("HTTP-Code: 404"), { code: 404 });
    await expect(readSecretKey(api(missing), "ns", "creds", "token")).rejects.toThrow(
      "Secret ns/creds does not exist",
    );
  });
});

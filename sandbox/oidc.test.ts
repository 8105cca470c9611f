import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../test/support/process.ts";
import { startSandbox, type Sandbox } from "./server.ts";

// Bearer JWTs shaped like Keycloak access tokens (iss = realm URL, aud array, azp), served
// from a local JWKS endpoint at Keycloak's path, so the default JWKS URL is exercised too.

let jwksServer: Server;
let issuer: string;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let sb: Sandbox;
let strict: Sandbox;

async function token(
  claims: Record<string, unknown>,
  opts: { key?: CryptoKey; kid?: string; expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({ azp: "clouddigit-operator", typ: "Bearer", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? "k1", typ: "JWT" })
    .setIssuer((claims.iss as string | undefined) ?? issuer)
    .setSubject("service-account-clouddigit-operator")
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? "5m")
    .sign(opts.key ?? signingKey);
}

async function get(
  sandbox: Sandbox,
  jwt: string,
  project = "alpha",
): Promise<{ status: number; code?: string; message?: string }> {
  const res = await fetch(`${sandbox.apiUrl}/network/vpcs`, {
    headers: { authorization: `Bearer ${jwt}`, "x-cd-project": project },
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return {
    status: res.status,
    ...(body.error ? { code: body.error.code, message: body.error.message } : {}),
  };
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair("RS256")).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwksServer = createServer((req, res) => {
    if (req.url === "/realms/clouddigit/protocol/openid-connect/certs") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  jwksServer.listen(0, "127.0.0.1");
  await once(jwksServer, "listening");
  issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/realms/clouddigit`;
  sb = await startSandbox({
    oidc: { issuer, audience: "clouddigit-api", projectClaim: "cd_projects" },
    inspectPort: false,
  });
  strict = await startSandbox({
    oidc: { issuer, audience: ["clouddigit-api"], acceptAzpAsAudience: false },
    inspectPort: false,
  });
});
afterAll(async () => {
  await sb.close();
  await strict.close();
  jwksServer.close();
});

describe("OIDC bearer tokens", () => {
  it("accepts a valid Keycloak-style token whose aud array contains the API", async () => {
    const jwt = await token({ aud: ["account", "clouddigit-api"], cd_projects: ["alpha", "beta"] });
    expect(await get(sb, jwt)).toEqual({ status: 200 });
    expect(await get(sb, jwt, "beta")).toEqual({ status: 200 });
    expect(sb.calls().at(-1)?.token).toBe("oidc:clouddigit-operator:service-account-clouddigit-operator");
  });

  it("accepts azp as the audience by default (client-credentials tokens), not when told not to", async () => {
    const jwt = await token({ aud: "account", azp: "clouddigit-api", cd_projects: "alpha" });
    expect((await get(sb, jwt)).status).toBe(200);
    expect(await get(strict, jwt)).toMatchObject({ status: 401, code: "unauthenticated" });
  });

  it("scopes projects by the configured claim (array or space-separated string)", async () => {
    expect(
      (await get(sb, await token({ aud: "clouddigit-api", cd_projects: "alpha gamma" }), "gamma")).status,
    ).toBe(200);
    expect(
      await get(sb, await token({ aud: "clouddigit-api", cd_projects: ["alpha"] }), "beta"),
    ).toMatchObject({
      status: 403,
      code: "forbidden",
    });
    expect(await get(sb, await token({ aud: "clouddigit-api" }), "alpha")).toMatchObject({
      status: 403,
      code: "forbidden",
    });
    // Without a project claim configured, any project is allowed.
    expect((await get(strict, await token({ aud: "clouddigit-api" }), "anything")).status).toBe(200);
  });

  it.each([
    ["wrong audience", async () => token({ aud: "someone-else", cd_projects: ["alpha"] })],
    [
      "wrong issuer",
      async () =>
        token({ iss: "http://127.0.0.1:1/realms/other", aud: "clouddigit-api", cd_projects: ["alpha"] }),
    ],
    ["expired", async () => token({ aud: "clouddigit-api", cd_projects: ["alpha"] }, { expiresIn: "-1m" })],
    [
      "signed by an unknown key",
      async () => token({ aud: "clouddigit-api", cd_projects: ["alpha"] }, { key: strangerKey, kid: "k2" }),
    ],
    [
      "signed by another key with the known kid",
      async () => token({ aud: "clouddigit-api", cd_projects: ["alpha"] }, { key: strangerKey }),
    ],
    [
      "tampered payload",
      async () => {
        const [h, p, s] = (await token({ aud: "clouddigit-api", cd_projects: ["alpha"] })).split(".");
        const claims = JSON.parse(Buffer.from(p ?? "", "base64url").toString()) as Record<string, unknown>;
        return [
          h,
          Buffer.from(JSON.stringify({ ...claims, cd_projects: ["alpha", "root"] })).toString("base64url"),
          s,
        ].join(".");
      },
    ],
    [
      "alg none",
      async () => {
        const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
        const exp = Math.floor(Date.now() / 1000) + 300;
        const body = { iss: issuer, aud: "clouddigit-api", sub: "x", exp, cd_projects: ["alpha"] };
        return `${header}.${Buffer.from(JSON.stringify(body)).toString("base64url")}.`;
      },
    ],
    ["not a JWT", async () => "garbage"],
  ])("rejects a token: %s (401)", async (_name, make) => {
    const r = await get(sb, await make());
    expect(r).toMatchObject({ status: 401, code: "unauthenticated" });
    expect(r.message).not.toContain("eyJ"); // never echoes the token
  });

  it("answers 503 unavailable when the issuer's keys cannot be fetched", async () => {
    const port = await freePort();
    const offline = await startSandbox({
      oidc: { issuer: `http://127.0.0.1:${port}/realms/gone`, audience: "clouddigit-api" },
      inspectPort: false,
    });
    try {
      const jwt = await token({ iss: `http://127.0.0.1:${port}/realms/gone`, aud: "clouddigit-api" });
      expect(await get(offline, jwt)).toMatchObject({ status: 503, code: "unavailable" });
    } finally {
      await offline.close();
    }
  });
});

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../shared/testing/fake-clock.ts";
import { ClientMetrics } from "../metrics.ts";
import type { HttpRequest, HttpResponse, Transport } from "../transport.ts";
import { OidcCredential } from "./oidc.ts";
import type { SubjectTokenSource } from "./subject-token.ts";

const SA_TOKEN = "eyJhbGciOiJSUzI1NiJ9.sa-token-payload.sa-signature";

class TokenEndpoint implements Transport {
  readonly forms: URLSearchParams[] = [];
  private n = 0;
  constructor(
    private readonly answer: (n: number) => HttpResponse,
    private readonly delayMs = 0,
  ) {}
  async send(req: HttpRequest): Promise<HttpResponse> {
    this.forms.push(new URLSearchParams(req.body));
    const n = ++this.n;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.answer(n);
  }
}

const issued = (n: number, expiresIn = 100): HttpResponse => ({
  status: 200,
  headers: {},
  bodyText: JSON.stringify({ access_token: `access-${n}`, expires_in: expiresIn, token_type: "Bearer" }),
});
const subject: SubjectTokenSource = { description: "test SA token", token: async () => SA_TOKEN };

function credential(
  transport: Transport,
  clock = new FakeClock(),
  extra: Partial<ConstructorParameters<typeof OidcCredential>[0]> = {},
) {
  const registry = new Registry();
  const c = new OidcCredential({
    issuerUrl: "http://127.0.0.1:8080/realms/cd/",
    clientId: "operator",
    subjectToken: subject,
    transport,
    clock,
    metrics: new ClientMetrics(registry),
    ...extra,
  });
  return { c, clock, registry };
}

describe("OidcCredential", () => {
  it("posts a client-credentials grant with the SA token as JWT client assertion", async () => {
    const endpoint = new TokenEndpoint((n) => issued(n));
    const { c } = credential(endpoint);
    expect(await c.authHeaders()).toEqual({ Authorization: "Bearer access-1" });
    const form = endpoint.forms[0]!;
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "client_credentials",
      client_id: "operator",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: SA_TOKEN,
    });
    expect(c.identity()).toBe("oidc:http://127.0.0.1:8080/realms/cd/protocol/openid-connect/token#operator");
  });

  it("supports RFC 8693 token exchange", async () => {
    const endpoint = new TokenEndpoint((n) => issued(n));
    const { c } = credential(endpoint, new FakeClock(), {
      grant: "token_exchange",
      audience: "clouddigit-api",
    });
    await c.accessToken();
    expect(Object.fromEntries(endpoint.forms[0]!)).toMatchObject({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: SA_TOKEN,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      audience: "clouddigit-api",
    });
  });

  it("caches the token and refreshes at 80% of its lifetime", async () => {
    const endpoint = new TokenEndpoint((n) => issued(n, 100));
    const { c, clock, registry } = credential(endpoint);
    expect(await c.accessToken()).toBe("access-1");
    await clock.advanceAsync(79_000);
    expect(await c.accessToken()).toBe("access-1");
    await clock.advanceAsync(1_000);
    expect(await c.accessToken()).toBe("access-2");
    expect(endpoint.forms).toHaveLength(2);
    const m = (await registry.getSingleMetric("clouddigit_token_refresh_total")!.get()).values;
    expect(m).toEqual([expect.objectContaining({ labels: { result: "success" }, value: 2 })]);
  });

  it("many concurrent callers share one exchange (single flight)", async () => {
    const endpoint = new TokenEndpoint((n) => issued(n), 20);
    const { c } = credential(endpoint);
    const tokens = await Promise.all(Array.from({ length: 25 }, () => c.accessToken()));
    expect(new Set(tokens)).toEqual(new Set(["access-1"]));
    expect(endpoint.forms).toHaveLength(1);
  });

  it("keeps using a still-valid token when a refresh fails", async () => {
    const endpoint = new TokenEndpoint((n) =>
      n === 1 ? issued(n, 100) : { status: 503, headers: {}, bodyText: "" },
    );
    const { c, clock, registry } = credential(endpoint);
    await c.accessToken();
    await clock.advanceAsync(85_000);
    expect(await c.accessToken()).toBe("access-1");
    await clock.advanceAsync(20_000);
    await expect(c.accessToken()).rejects.toMatchObject({ kind: "transient" });
    const m = (await registry.getSingleMetric("clouddigit_token_refresh_total")!.get()).values;
    expect(m.find((v) => v.labels.result === "failure")?.value).toBe(2);
  });

  it("a refusal is unauthenticated, says what to check, and never contains the SA token", async () => {
    const endpoint = new TokenEndpoint(() => ({
      status: 401,
      headers: {},
      bodyText: JSON.stringify({
        error: "invalid_client",
        error_description: "Invalid client or Invalid client credentials",
      }),
    }));
    const { c } = credential(endpoint);
    const err = (await c.accessToken().catch((e: unknown) => e)) as Error & { kind: string };
    expect(err.kind).toBe("unauthenticated");
    expect(err.message).toContain("invalid_client");
    expect(err.message).toContain('client "operator"');
    expect(err.message).toContain("system:serviceaccount");
    expect(err.message).not.toContain(SA_TOKEN);
  });

  it("invalidate() forces the next call to exchange again", async () => {
    const endpoint = new TokenEndpoint((n) => issued(n));
    const { c } = credential(endpoint);
    await c.accessToken();
    expect(c.invalidate()).toBe(true);
    expect(await c.accessToken()).toBe("access-2");
  });
});

import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../shared/testing/fake-clock.ts";
import { mapS3Error, s3ErrorKind, webIdentityCredentials } from "./s3.ts";

describe("S3 error mapping", () => {
  it("maps S3 codes to the client's kinds", () => {
    expect(s3ErrorKind("NoSuchBucket", 404)).toBe("not_found");
    expect(s3ErrorKind("NotImplemented", 501)).toBe("not_implemented");
    expect(s3ErrorKind("AccessDenied", 403)).toBe("forbidden");
    expect(s3ErrorKind("SignatureDoesNotMatch", 403)).toBe("unauthenticated");
    expect(s3ErrorKind("BucketNotEmpty", 409)).toBe("conflict");
    expect(s3ErrorKind("BucketAlreadyExists", 409)).toBe("invalid");
    expect(s3ErrorKind("SlowDown", 503)).toBe("throttled");
    expect(s3ErrorKind("InternalError", 500)).toBe("transient");
    expect(s3ErrorKind("MalformedPolicy", 400)).toBe("invalid");
  });

  it("treats errors without an HTTP answer as transient", () => {
    const e = mapS3Error(
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      "HeadBucket",
      "b",
    );
    expect(e).toMatchObject({ kind: "transient", operation: "s3.HeadBucket" });
  });
});

describe("webIdentityCredentials (STS AssumeRoleWithWebIdentity)", () => {
  const requests: URLSearchParams[] = [];
  let endpoint = "";
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const form = new URLSearchParams(body);
      requests.push(form);
      const n = requests.length;
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIA${n}</AccessKeyId>
      <SecretAccessKey>secret-${n}</SecretAccessKey>
      <SessionToken>session-${n}</SessionToken>
      <Expiration>${new Date(Date.parse("2026-01-01T01:00:00Z")).toISOString()}</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>req-${n}</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`);
    });
  });

  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
  });

  it("exchanges the web-identity token once and reuses the keys until shortly before expiry", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
    let tokenCalls = 0;
    const provider = webIdentityCredentials({
      stsEndpoint: endpoint,
      region: "bd-dha-1",
      roleArn: "arn:aws:iam::123:role/bucket-admin",
      sessionName: "clouddigit-operator",
      webIdentityToken: async () => `jwt-${++tokenCalls}`,
      clock,
    });
    const first = await provider();
    expect(first).toMatchObject({
      accessKeyId: "ASIA1",
      secretAccessKey: "secret-1",
      sessionToken: "session-1",
    });
    expect(Object.fromEntries(requests[0]!)).toMatchObject({
      Action: "AssumeRoleWithWebIdentity",
      RoleArn: "arn:aws:iam::123:role/bucket-admin",
      RoleSessionName: "clouddigit-operator",
      WebIdentityToken: "jwt-1",
    });
    await clock.advanceAsync(50 * 60_000);
    expect((await provider()).accessKeyId).toBe("ASIA1");
    await clock.advanceAsync(6 * 60_000);
    expect((await provider()).accessKeyId).toBe("ASIA2");
    expect(requests).toHaveLength(2);
  });
});

import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createClientLogger } from "./logging.ts";

describe("client logger redaction", () => {
  it("censors tokens, keys and Secret data wherever callers put them", () => {
    const lines: string[] = [];
    const logger = createClientLogger(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const secrets = ["cd_live_abc123", "eyJhbGc.payload.sig", "AKIA-secret-key", "c2VjcmV0"];
    logger.info(
      { token: secrets[0], headers: { authorization: `Bearer ${secrets[1]}`, "x-cd-token": secrets[0] } },
      "a",
    );
    logger.info({ request: { headers: { Authorization: `Bearer ${secrets[1]}` } } }, "b");
    logger.info({ credentials: { accessKeyId: "AKIA", secretAccessKey: secrets[2] } }, "c");
    logger.info({ secret: { data: { token: secrets[3] } } }, "d");
    logger.info({ access_token: secrets[1], client_assertion: secrets[1] }, "e");
    const all = lines.join("");
    expect(lines).toHaveLength(5);
    for (const s of secrets) expect(all).not.toContain(s);
    expect(all).toContain("[redacted]");
  });
});

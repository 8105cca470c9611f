import { describe, expect, it } from "vitest";
import {
  bucketOwnershipTags,
  desiredBucketTags,
  lifecycleDocument,
  samePolicy,
  samePublicAccessBlock,
  sameRetention,
  sameLifecycle,
} from "./documents.ts";
import type { BucketPolicy } from "../../../crds/bucket.ts";

const policy: BucketPolicy = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "read",
      Effect: "Allow",
      Principal: { AWS: ["*"] },
      Action: ["s3:GetObject"],
      Resource: ["arn:aws:s3:::b/*"],
    },
  ],
};

describe("samePolicy", () => {
  it("matches the same document written with other key order and scalar-for-list", () => {
    const echoed =
      '{"Statement":{"Resource":"arn:aws:s3:::b/*","Action":"s3:GetObject","Principal":{"AWS":"*"},"Effect":"Allow","Sid":"read"},"Version":"2012-10-17"}';
    expect(samePolicy(policy, echoed)).toBe(true);
    expect(samePolicy(policy, JSON.stringify(policy))).toBe(true);
  });

  it("sees a different action, a missing policy and text that is not JSON", () => {
    const other = JSON.stringify({
      ...policy,
      Statement: [{ ...policy.Statement[0], Action: ["s3:PutObject"] }],
    });
    expect(samePolicy(policy, other)).toBe(false);
    expect(samePolicy(policy, undefined)).toBe(false);
    expect(samePolicy(policy, "{not json")).toBe(false);
  });

  it("keeps the order of multi-element lists significant (statements are not reordered)", () => {
    const two: BucketPolicy = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "a", Effect: "Allow" },
        { Sid: "b", Effect: "Deny" },
      ],
    };
    const swapped = JSON.stringify({ ...two, Statement: [two.Statement[1], two.Statement[0]] });
    expect(samePolicy(two, swapped)).toBe(false);
  });
});

describe("desiredBucketTags", () => {
  const ours = bucketOwnershipTags({ namespace: "ns", name: "logs", uid: "uid-1" });

  it("is exactly the spec's tags plus ours when spec.tags is set", () => {
    expect(desiredBucketTags({ tags: { team: "a" } }, ours, { team: "b", extra: "x" })).toEqual({
      team: "a",
      ...ours,
    });
  });

  it("keeps the bucket's own tags when spec.tags is not set, dropping foreign reserved ones", () => {
    expect(desiredBucketTags({}, ours, { origin: "manual", "clouddigit.ai/owner": "someone-else" })).toEqual({
      origin: "manual",
      ...ours,
    });
  });

  it("ownership tags name the object", () => {
    expect(ours).toEqual({
      "clouddigit.ai/owner": "uid-1",
      "clouddigit.ai/kind": "Bucket",
      "clouddigit.ai/name": "ns/logs",
    });
  });
});

describe("sameLifecycle", () => {
  const rules = [
    { id: "tmp", enabled: true, prefix: "tmp/", expirationDays: 7 },
    { id: "old", enabled: false, noncurrentVersionExpirationDays: 30, transitionToArchiveDays: 90 },
  ];

  it("matches the rules it would write, in any order", () => {
    const written = lifecycleDocument(rules);
    expect(sameLifecycle(rules, written)).toBe(true);
    expect(sameLifecycle(rules, [...written].reverse())).toBe(true);
  });

  it("sees changed days, a missing rule, and an absent configuration", () => {
    const written = lifecycleDocument(rules);
    const changed = written.map((r) => (r.ID === "tmp" ? { ...r, Expiration: { Days: 8 } } : r));
    expect(sameLifecycle(rules, changed)).toBe(false);
    expect(sameLifecycle(rules, written.slice(1))).toBe(false);
    expect(sameLifecycle(rules, undefined)).toBe(false);
    expect(sameLifecycle([], undefined)).toBe(true);
  });

  it("reads the legacy top-level Prefix as the filter prefix", () => {
    const [tmp] = lifecycleDocument([rules[0] ?? { id: "x", enabled: true }]);
    const legacy = { ...tmp, Status: tmp?.Status ?? "Enabled", Filter: undefined, Prefix: "tmp/" };
    expect(sameLifecycle([rules[0] ?? { id: "x", enabled: true }], [legacy])).toBe(true);
  });
});

describe("samePublicAccessBlock and sameRetention", () => {
  const all = {
    blockPublicAcls: true,
    ignorePublicAcls: true,
    blockPublicPolicy: true,
    restrictPublicBuckets: true,
  };

  it("treats absent settings as false", () => {
    expect(samePublicAccessBlock(all, undefined)).toBe(false);
    expect(
      samePublicAccessBlock(
        { ...all, restrictPublicBuckets: false },
        {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
        },
      ),
    ).toBe(true);
  });

  it("compares mode and exactly one of days or years", () => {
    const observed = {
      ObjectLockEnabled: "Enabled" as const,
      Rule: { DefaultRetention: { Mode: "GOVERNANCE" as const, Days: 1 } },
    };
    expect(sameRetention({ mode: "GOVERNANCE", days: 1 }, observed)).toBe(true);
    expect(sameRetention({ mode: "COMPLIANCE", days: 1 }, observed)).toBe(false);
    expect(sameRetention({ mode: "GOVERNANCE", years: 1 }, observed)).toBe(false);
    expect(sameRetention({ mode: "GOVERNANCE", days: 1 }, { ObjectLockEnabled: "Enabled" })).toBe(false);
  });
});

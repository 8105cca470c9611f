import { z } from "zod";

/**
 * Request body schemas. All objects are strict: an unknown field is a 400, as it would be for a
 * cloud API that wants typos in infrastructure code to fail loudly rather than be ignored.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const TAG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
export const MAX_TAGS = 50;

const name = z
  .string()
  .regex(NAME_PATTERN, "1-128 characters: letters, digits, '.', '_', '-'; starts alphanumeric");
const description = z.string().max(255);
const tags = z
  .record(
    z.string().regex(TAG_KEY_PATTERN, "tag keys: 1-128 of letters, digits, '.', '_', '/', '-'"),
    z.string().max(256),
  )
  .refine((t) => Object.keys(t).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);
const id = z.string().max(64);

export const vpcCreate = z.strictObject({
  name,
  cidr: z.string().max(18),
  description: description.optional(),
  tags: tags.optional(),
});

export const subnetCreate = z.strictObject({
  name,
  vpc_id: id,
  cidr: z.string().max(18),
  zone: z.string().max(64),
  description: description.optional(),
  tags: tags.optional(),
});

export const sshKeyCreate = z.strictObject({
  name,
  public_key: z.string().max(16384),
  description: description.optional(),
  tags: tags.optional(),
});

export const serverCreate = z.strictObject({
  name,
  flavor: z.string().max(64),
  image: z.string().max(64),
  subnet_id: id,
  ssh_key_ids: z.array(id).max(10).optional(),
  boot_volume_size_gib: z.int().min(10).max(2048).optional(),
  user_data: z.string().max(65536).optional(),
  public_ip: z.boolean().optional(),
  description: description.optional(),
  tags: tags.optional(),
});

export const volumeCreate = z.strictObject({
  name,
  size_gib: z.int().min(1).max(16384),
  zone: z.string().max(64),
  type: z.enum(["nvme", "piops"]).optional(),
  iops: z.int().min(100).max(64000).optional(),
  description: description.optional(),
  tags: tags.optional(),
});

const commonPatch = { name: name.optional(), description: description.optional(), tags: tags.optional() };

export const vpcPatch = z.strictObject(commonPatch);
export const subnetPatch = z.strictObject(commonPatch);
export const sshKeyPatch = z.strictObject(commonPatch);
export const serverPatch = z.strictObject(commonPatch);
export const volumePatch = z.strictObject({
  ...commonPatch,
  size_gib: z.int().min(1).max(16384).optional(),
  iops: z.int().min(100).max(64000).optional(),
});

export const serverAction = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("start") }),
  z.strictObject({ type: z.literal("stop") }),
  z.strictObject({ type: z.literal("reboot") }),
  z.strictObject({ type: z.literal("resize"), flavor: z.string().max(64) }),
]);

export const volumeAttachment = z.strictObject({ server_id: id });

export type ServerAction = z.infer<typeof serverAction>;

/** Zod issues as the `details` of a 400 error. */
export function describeIssues(error: z.ZodError): { issues: { path: string; message: string }[] } {
  return {
    issues: error.issues.slice(0, 20).map((issue) => ({
      path: issue.path.map(String).join("."),
      message: issue.message,
    })),
  };
}

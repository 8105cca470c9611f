import { z } from "zod";
import { ID_PATTERNS, type ResourceKind } from "../../shared/patterns.ts";
import type { components } from "./openapi.ts";

/** The component schemas of sandbox/openapi.yaml, as the generated types state them. */
export type WireSchemas = components["schemas"];

/**
 * Response shapes of REST v1 (see docs/cloud-digit-api.md and sandbox/openapi.yaml). Every object
 * is `.loose()`: fields the API adds later pass through instead of breaking the operator, and only
 * the fields the operator relies on are required. `WireConformance` below holds them to the
 * document at compile time.
 */
const tags = z.record(z.string(), z.string());

/** A resource id of one kind: `<prefix>_<ULID>`, as the document promises. */
const id = (kind: ResourceKind) => z.string().regex(ID_PATTERNS[kind]);

const common = {
  name: z.string(),
  state: z.string(),
  state_reason: z.string().nullish(),
  description: z.string().nullish(),
  created_at: z.string(),
  updated_at: z.string().optional(),
  tags: tags.default({}),
};

export const vpcSchema = z
  .object({ ...common, id: id("vpc"), cidr: z.string(), region: z.string().optional() })
  .loose();

export const subnetSchema = z
  .object({
    ...common,
    id: id("subnet"),
    vpc_id: z.string(),
    cidr: z.string(),
    zone: z.string(),
    gateway_ip: z.string().nullish(),
  })
  .loose();

export const sshKeySchema = z
  .object({
    ...common,
    id: id("ssh_key"),
    public_key: z.string(),
    fingerprint: z.string(),
    key_type: z.string().optional(),
  })
  .loose();

export const serverSchema = z
  .object({
    ...common,
    id: id("server"),
    flavor: z.string(),
    image: z.string(),
    subnet_id: z.string(),
    vpc_id: z.string().optional(),
    zone: z.string().optional(),
    ssh_key_ids: z.array(z.string()).default([]),
    boot_volume_size_gib: z.number().optional(),
    addresses: z
      .object({ private_ip: z.string().nullish(), public_ip: z.string().nullish() })
      .loose()
      .default({ private_ip: null, public_ip: null }),
    volume_ids: z.array(z.string()).default([]),
  })
  .loose();

export const volumeSchema = z
  .object({
    ...common,
    id: id("volume"),
    size_gib: z.number(),
    type: z.string(),
    iops: z.number().nullish(),
    zone: z.string(),
    server_id: z.string().nullish(),
  })
  .loose();

export const flavorSchema = z
  .object({ name: z.string(), family: z.string().optional(), vcpus: z.number(), ram_gib: z.number() })
  .loose();

export const imageSchema = z
  .object({
    name: z.string(),
    os: z.string().optional(),
    state: z.string().optional(),
    min_disk_gib: z.number().optional(),
  })
  .loose();

export const regionSchema = z
  .object({ name: z.string(), display_name: z.string().optional(), zones: z.array(z.string()) })
  .loose();

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullish() }).loose();
}

export type Vpc = z.infer<typeof vpcSchema>;
export type Subnet = z.infer<typeof subnetSchema>;
export type SshKey = z.infer<typeof sshKeySchema>;
export type Server = z.infer<typeof serverSchema>;
export type Volume = z.infer<typeof volumeSchema>;
export type Flavor = z.infer<typeof flavorSchema>;
export type Image = z.infer<typeof imageSchema>;
export type Region = z.infer<typeof regionSchema>;

/**
 * Compile-time conformance of a response schema to the document: every response the document allows
 * is one the schema parses (the generated type is assignable to the schema's input), and the schema
 * reads no field the document does not define. A `false` here fails the typecheck.
 */
type Conforms<Schema extends z.ZodObject, Wire> = [Wire] extends [z.input<Schema>]
  ? [Exclude<keyof Schema["shape"], keyof Wire>] extends [never]
    ? true
    : false
  : false;
type Holds<T extends true> = T;
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export type WireConformance = [
  Holds<Conforms<typeof vpcSchema, WireSchemas["Vpc"]>>,
  Holds<Conforms<typeof subnetSchema, WireSchemas["Subnet"]>>,
  Holds<Conforms<typeof sshKeySchema, WireSchemas["SshKey"]>>,
  Holds<Conforms<typeof serverSchema, WireSchemas["Server"]>>,
  Holds<Conforms<typeof volumeSchema, WireSchemas["Volume"]>>,
  Holds<Conforms<typeof flavorSchema, WireSchemas["Flavor"]>>,
  Holds<Conforms<typeof imageSchema, WireSchemas["Image"]>>,
  Holds<Conforms<typeof regionSchema, WireSchemas["Region"]>>,
  Holds<Conforms<ReturnType<typeof pageSchema<typeof vpcSchema>>, WireSchemas["VpcList"]>>,
  Holds<Conforms<ReturnType<typeof pageSchema<typeof flavorSchema>>, WireSchemas["FlavorList"]>>,
  Holds<SameType<ServerAction, WireSchemas["ServerAction"]>>,
];

// Request bodies are the document's own types: the client cannot send a field the document lacks.
export type VpcCreate = WireSchemas["VpcCreate"];
export type SubnetCreate = WireSchemas["SubnetCreate"];
export type SshKeyCreate = WireSchemas["SshKeyCreate"];
export type ServerCreate = WireSchemas["ServerCreate"];
export type VolumeCreate = WireSchemas["VolumeCreate"];
/** Mutable fields every kind accepts in PATCH. */
export type CommonPatch = WireSchemas["ResourcePatch"];
export type VolumePatch = WireSchemas["VolumePatch"];
/**
 * One member per action, so code can narrow on `type` (the document groups start/stop/reboot in
 * one branch of its oneOf, which TypeScript cannot narrow); `WireConformance` checks it is the same set.
 */
export type ServerAction =
  { type: "start" } | { type: "stop" } | { type: "reboot" } | { type: "resize"; flavor: string };

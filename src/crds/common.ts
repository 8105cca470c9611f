// Building blocks shared by every kind: the API coordinates, CEL rule helpers, the common spec
// fields of managed kinds, the status shape and the printer columns. The zod schemas here are the
// single source of truth: `generate.ts` turns them into the CRDs in config/crd/.
import { z } from "zod";
import type { Condition } from "../runtime/conditions.ts";
import * as wire from "../shared/patterns.ts";

export const GROUP = "clouddigit.ai";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = "clouddigit";

/** Annotation that stops all cloud writes for one object while its value is "true". */
export const PAUSED_ANNOTATION = "clouddigit.ai/paused";

/** Tag keys with this prefix are reserved for the operator (ownership tags); users cannot set them. */
export const RESERVED_TAG_PREFIX = "clouddigit.ai/";

// The wire rules (ids, zones, tag keys, CIDR shape) come from src/shared/patterns.ts, which the
// REST client, the sandbox and sandbox/openapi.yaml share, so admission refuses what the cloud would.

/** Regions Cloud Digit serves. */
export const REGIONS = wire.REGIONS;
export type Region = wire.RegionName;

/** Crockford base32 ULID, the body of every Cloud Digit resource ID. */
export const ULID_PATTERN = wire.ULID_BODY;

/** ID prefixes per kind of cloud resource, e.g. `vpc_01J0...`. */
export const ID_PREFIXES = {
  VPC: wire.ID_PREFIXES.vpc,
  Subnet: wire.ID_PREFIXES.subnet,
  SSHKey: wire.ID_PREFIXES.ssh_key,
  VM: wire.ID_PREFIXES.server,
  Volume: wire.ID_PREFIXES.volume,
} as const;

export function idPattern(prefix: string): RegExp {
  return new RegExp(wire.idPatternSource(prefix));
}

/** Availability zones are `<region><a|b|c>`, e.g. `bd-dha-1a`. */
export const ZONE_PATTERN = wire.ZONE_PATTERN;

/** DNS-1123 subdomain, the rule for names of most Kubernetes objects. */
export const OBJECT_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// ---------------------------------------------------------------------------------------------
// CEL (x-kubernetes-validations)

export interface CelRule {
  rule: string;
  message: string;
  /** JSONPath-like path relative to the schema node, so the error names the right field. */
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/**
 * Attach a description, CEL rules and any other `x-kubernetes-*` extensions in one meta call.
 * `patternMessage` replaces the regex in "should match '^...$'" with words: the generator turns
 * the string's pattern into a CEL `matches` rule carrying this message.
 */
export function doc<T extends z.ZodType>(
  schema: T,
  description: string,
  extra: { rules?: CelRule[]; patternMessage?: string; [jsonSchemaKeyword: string]: unknown } = {},
): T {
  const { rules, patternMessage, ...extensions } = extra;
  return schema.meta({
    description,
    ...(rules && rules.length > 0 ? { "x-kubernetes-validations": rules } : {}),
    ...(patternMessage ? { [PATTERN_MESSAGE]: patternMessage } : {}),
    ...extensions,
  });
}

/** Meta key read by the generator (see `doc`); never written to a CRD. */
export const PATTERN_MESSAGE = "x-clouddigit-pattern-message";

/** `self == oldSelf` on a field: any edit is rejected with a message that says what to do. */
export function immutable(field: string, hint = "create a new object instead"): CelRule {
  return { rule: "self == oldSelf", message: `${field} is immutable once set; ${hint}` };
}

/**
 * For an optional field, checked on its parent object: the field can neither be added, removed
 * nor changed after creation (a rule on the field itself would not see it being added or removed).
 */
export function setOnlyAtCreation(field: string, hint = "create a new object instead"): CelRule {
  return {
    rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
    message: `${field} can only be set when the object is created and cannot be added, changed or removed afterwards; ${hint}`,
    fieldPath: `.${field}`,
  };
}

/** Exactly one of two optional fields. */
export function exactlyOne(a: string, b: string, what: string): CelRule {
  return {
    rule: `has(self.${a}) != has(self.${b})`,
    message: `set exactly one of ${a} (${what} managed in this namespace) or ${b} (ID of an existing cloud resource)`,
  };
}

/** At most one of two optional fields. */
export function atMostOne(a: string, b: string): CelRule {
  return {
    rule: `!(has(self.${a}) && has(self.${b}))`,
    message: `set at most one of ${a} or ${b}, not both`,
  };
}

// ---------------------------------------------------------------------------------------------
// Small reusable field schemas

const OBJECT_NAME_RULE =
  "a Kubernetes object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";

export function objectName(
  what: string,
  description = `Name of the ${what} (${OBJECT_NAME_RULE}).`,
): z.ZodString {
  return doc(z.string().min(1).max(253).regex(OBJECT_NAME_PATTERN), description, {
    patternMessage: `must be ${OBJECT_NAME_RULE}`,
  });
}

/** A Cloud Digit resource ID of one kind, e.g. `vpc_01J0...`. */
export function cloudID(prefix: string, description: string): z.ZodString {
  return doc(z.string().max(64).regex(idPattern(prefix)), description, {
    patternMessage: `must be a Cloud Digit ID of the form ${prefix}_ followed by 26 ULID characters, e.g. ${prefix}_01J0ABCDEFGHJKMNPQRSTVWXYZ`,
  });
}

/** A reference to another object of this API in the same namespace. */
export function localRef(kind: string) {
  const article = kind === "SSHKey" ? "an" : "a"; // "an SSHKey", "a Subnet"
  return doc(
    z.object({ name: objectName(`${kind} in the same namespace`) }),
    `Reference to ${article} ${kind} in the same namespace. The object waits (Ready=False, reason DependencyNotReady) until that ${kind} is Ready.`,
  );
}

/** Tag keys the REST API accepts (the sandbox enforces the same): ASCII, no spaces or look-alikes. */
export const REST_TAG_KEY_PATTERN = wire.TAG_KEY_PATTERN.source;

/**
 * Tags of a cloud resource. `rest` (the REST kinds) also restricts keys to the REST API's character
 * set, so a key the cloud would refuse (a zero-width space, a colon) is refused at admission.
 */
export function tags(opts: { rest?: boolean; reservedPrefixes?: readonly string[] } = {}) {
  const keys = opts.rest
    ? "keys 1-128 characters of letters, digits, '.', '_', '/', '-', starting with a letter or digit"
    : "keys up to 128 characters";
  return doc(
    z.record(z.string().min(1).max(128), z.string().max(256)),
    `Tags (key/value labels) on the cloud resource. Up to 50 tags; ${keys}; values up to 256 characters. Keys starting with "${RESERVED_TAG_PREFIX}" are reserved for the operator's ownership tags.`,
    {
      rules: [
        {
          rule: `self.all(k, !k.startsWith('${RESERVED_TAG_PREFIX}'))`,
          message: `tag keys starting with "${RESERVED_TAG_PREFIX}" are reserved for the operator`,
        },
        { rule: "self.all(k, k.size() <= 128)", message: "tag keys must be at most 128 characters" },
        ...(opts.reservedPrefixes ?? []).map((prefix) => ({
          rule: `self.all(k, !k.lowerAscii().startsWith('${prefix}'))`,
          message: `tag keys starting with "${prefix}" are reserved by the cloud`,
        })),
        ...(opts.rest
          ? [
              {
                rule: `self.all(k, k.matches('${REST_TAG_KEY_PATTERN}'))`,
                message:
                  "tag keys may only use letters, digits, '.', '_', '/' and '-', and must start with a letter or digit",
              },
            ]
          : []),
      ],
      // Declared through meta because zod's record has no size limit and CEL needs one for its cost budget.
      maxProperties: 50,
    },
  );
}

export const CIDR_SHAPE = wire.CIDR_SHAPE;

/** An immutable IPv4 CIDR in network form (no host bits) whose prefix is within [min, max]. */
export function ipv4Cidr(what: string, min: number, max: number, description?: string) {
  return doc(
    z.string().max(18).regex(CIDR_SHAPE),
    description ??
      `IPv4 address range of the ${what} in CIDR notation, e.g. 10.0.0.0/16. Prefix length /${min} to /${max}; host bits must be zero. Immutable.`,
    {
      patternMessage: `${what} cidr must be a valid IPv4 CIDR such as 10.0.0.0/16`,
      rules: [
        {
          rule: `!self.matches(r'${CIDR_SHAPE.source}') || isCIDR(self)`,
          message: `${what} cidr must be a valid IPv4 CIDR such as 10.0.0.0/16`,
        },
        {
          rule: `!isCIDR(self) || (cidr(self).prefixLength() >= ${min} && cidr(self).prefixLength() <= ${max})`,
          message: `${what} cidr prefix must be between /${min} and /${max}`,
        },
        {
          rule: "!isCIDR(self) || cidr(self).masked() == cidr(self)",
          message: `${what} cidr must be a network address with no host bits set (e.g. 10.0.0.0/16, not 10.0.0.1/16)`,
        },
        immutable("cidr"),
      ],
    },
  );
}

export function zone(what: string) {
  return doc(
    z.string().max(16).regex(ZONE_PATTERN),
    `Availability zone of the ${what}, \`<region><letter>\`, e.g. bd-dha-1a. Immutable.`,
    {
      rules: [immutable("zone")],
      patternMessage:
        "zone must be a region followed by a zone letter, e.g. bd-dha-1a, bd-ctg-1b or bd-syl-1a",
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Common spec fields of managed kinds

export const MANAGEMENT_POLICIES = ["Managed", "ObserveOnly"] as const;
export const DELETION_POLICIES = ["Delete", "Orphan"] as const;
export const ADOPTION_POLICIES = ["AdoptOrCreate", "CreateOnly", "AdoptOnly"] as const;
export type AdoptionPolicy = (typeof ADOPTION_POLICIES)[number];
export const EXTERNAL_DELETE_POLICIES = ["Recreate", "Stall"] as const;
export type ExternalDeletePolicy = (typeof EXTERNAL_DELETE_POLICIES)[number];

/**
 * What happens when a resource this object manages is deleted outside Kubernetes, per kind when
 * spec.onExternalDelete is empty. Data-bearing kinds stall: a VM re-created blank with a new IP,
 * an empty Volume re-attached, or an empty bucket would come back silently wrong. Network and key
 * resources hold no data and are re-created as the spec says.
 */
const EXTERNAL_DELETE_DEFAULTS: Record<string, ExternalDeletePolicy> = {
  VM: "Stall",
  Volume: "Stall",
  Bucket: "Stall",
};

export function externalDeleteDefault(kind: string): ExternalDeletePolicy {
  return EXTERNAL_DELETE_DEFAULTS[kind] ?? "Recreate";
}
export const PROVIDER_CONFIG_KINDS = ["ProviderConfig", "ClusterProviderConfig"] as const;

/** Go-style durations as kubectl users write them: 30s, 10m, 1h30m. */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
export const MIN_RESYNC = "30s";
export const MAX_RESYNC = "24h";

export const providerConfigRef = doc(
  z
    .object({
      name: objectName(
        "",
        "Name of the ProviderConfig (or ClusterProviderConfig) that holds region, project, endpoints and credentials.",
      ).default("default"),
      kind: doc(
        z.enum(PROVIDER_CONFIG_KINDS).optional(),
        "Kind to look up. Empty: a ProviderConfig of that name in the object's namespace if one exists, else the ClusterProviderConfig of that name.",
      ),
    })
    .default({ name: "default" }),
  'Which ProviderConfig to use. Defaults to the one named "default".',
);

/**
 * Common fields and rules of every managed kind. `importRef` describes what importID holds; REST
 * kinds need an importID for ObserveOnly (there is nothing else to find the resource by), buckets
 * do not (they are found by name).
 */
export function managedSpec<Shape extends z.ZodRawShape>(
  fields: Shape,
  opts: {
    /** The kind, for its per-kind defaults (onExternalDelete). */
    kind: string;
    /** The cloud resource in prose ("SSH key"). */
    noun: string;
    description: string;
    importID: z.ZodString;
    observeOnlyNeedsImportID: boolean;
    rules?: CelRule[];
  },
) {
  const common = {
    providerConfigRef,
    managementPolicy: doc(
      z.enum(MANAGEMENT_POLICIES).default("Managed"),
      "Managed (default): create, update and delete the cloud resource. ObserveOnly: never write to the cloud; only report what exists (needs importID" +
        (opts.observeOnlyNeedsImportID ? ")." : " or the bucket name)."),
    ),
    deletionPolicy: doc(
      z.enum(DELETION_POLICIES).default("Delete"),
      "Delete (default): delete the cloud resource when this object is deleted. Orphan: keep the cloud resource.",
    ),
    importID: opts.importID.optional(),
    adoptionPolicy: doc(
      z.enum(ADOPTION_POLICIES).default("AdoptOrCreate"),
      `Without importID or a recorded status.id: AdoptOrCreate (default) first looks for a ${opts.noun} this installation created for an object of this namespace and name (a cluster rebuilt from Git, a restore without status) and manages it, else creates one. CreateOnly: always create. AdoptOnly: never create; wait (Stalled AdoptionNotFound) until such a ${opts.noun} exists.`,
    ),
    onExternalDelete: doc(
      z.enum(EXTERNAL_DELETE_POLICIES).default(externalDeleteDefault(opts.kind)),
      `When the ${opts.noun} is deleted outside Kubernetes: Recreate creates it again as the spec says; Stall keeps status.id and stalls (DeletedExternally) until you delete this object or set Recreate. Default ${externalDeleteDefault(opts.kind)}${externalDeleteDefault(opts.kind) === "Stall" ? " (a re-created one would come back empty)" : ""}.`,
    ),
    resyncPeriod: doc(
      z.string().max(32).regex(DURATION_PATTERN).optional(),
      `How often to re-read the cloud resource to detect drift, as a duration (e.g. 10m, 1h). Between ${MIN_RESYNC} and ${MAX_RESYNC}; jittered. Empty: the operator's default. To stop all cloud writes temporarily, annotate the object with ${PAUSED_ANNOTATION}: "true".`,
      {
        patternMessage: "resyncPeriod must be a duration such as 30s, 10m or 1h30m",
        rules: [
          {
            rule: `!self.matches(r'${DURATION_PATTERN.source}') || (duration(self) >= duration('${MIN_RESYNC}') && duration(self) <= duration('${MAX_RESYNC}'))`,
            message: `resyncPeriod must be between ${MIN_RESYNC} and ${MAX_RESYNC}`,
          },
        ],
      },
    ),
  };
  const rules: CelRule[] = [
    {
      rule: "has(self.importID) == has(oldSelf.importID) && (!has(self.importID) || self.importID == oldSelf.importID)",
      message:
        "importID can only be set when the object is created and cannot be added, changed or removed afterwards",
      fieldPath: ".importID",
    },
    ...(opts.observeOnlyNeedsImportID
      ? [
          {
            rule: "!has(self.managementPolicy) || self.managementPolicy != 'ObserveOnly' || has(self.importID)",
            message:
              "managementPolicy ObserveOnly needs importID: the ID of the existing cloud resource to observe",
            fieldPath: ".importID",
            reason: "FieldValueRequired" as const,
          },
        ]
      : []),
    ...(opts.rules ?? []),
  ];
  return doc(z.object({ ...common, ...fields }), opts.description, { rules });
}

export function importID(kindPrefix: string, kind: string) {
  return cloudID(
    kindPrefix,
    `ID of an existing cloud ${kind} to adopt (or observe) instead of creating one, e.g. ${kindPrefix}_01J0ABCDEFGHJKMNPQRSTVWXYZ. Can only be set at creation.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Status

export const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;

/** metav1.Condition, the shape kubectl wait, kstatus, Argo CD and Flux understand. */
export const condition = doc(
  z.object({
    type: doc(
      z
        .string()
        .max(316)
        .regex(
          /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
        ),
      "Type of condition: Ready, Synced, Reconciling or Stalled.",
    ),
    status: doc(z.enum(CONDITION_STATUSES), "Status of the condition: True, False or Unknown."),
    observedGeneration: doc(
      z.int().min(0).optional(),
      "metadata.generation the condition was set for; older than the object's generation means stale.",
    ),
    lastTransitionTime: doc(
      z.string().meta({ format: "date-time" }),
      "Last time the condition changed status (RFC 3339).",
    ),
    reason: doc(
      z
        .string()
        .min(1)
        .max(1024)
        .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
      "Machine-readable CamelCase reason for the last transition.",
    ),
    message: doc(z.string().max(32768), "Human-readable explanation; says what to do when action is needed."),
  }),
  "A condition on the object (metav1.Condition).",
);
// The CRD's condition schema and the runtime's Condition (what the controllers write) are one
// shape: a field added to, dropped from or retyped in either fails the build until both agree.
export type { Condition };
/** true when A and B are identical; plain mutual assignability would let an extra optional field by. */
type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
true satisfies SameType<z.infer<typeof condition>, Condition>;

/** The status every managed kind has; `atProvider` is the kind's observed cloud fields. */
export function managedStatus<A extends z.ZodType>(kind: string, atProvider: A) {
  return doc(
    z.object({
      id: doc(z.string().max(128).optional(), `ID of the cloud ${kind}.`),
      state: doc(z.string().max(64).optional(), `State of the cloud ${kind} as the cloud reports it.`),
      atProvider: atProvider.optional(),
      observedGeneration: doc(
        z.int().min(0).optional(),
        "metadata.generation of the spec the operator last acted on.",
      ),
      scope: doc(
        z.string().max(256).optional(),
        `Where the cloud ${kind} lives, as <project>@<region>, recorded with status.id. A providerConfigRef or project change that moves the object elsewhere stalls (ScopeChanged) instead of losing the resource.`,
      ),
      takeover: doc(
        z
          .object({
            from: doc(z.string().max(63), "Installation the resource was taken over from."),
            time: doc(z.string().meta({ format: "date-time" }), "When it was taken over."),
          })
          .optional(),
        `Set when this object took the cloud ${kind} over from another installation (annotation clouddigit.ai/take-over-from).`,
      ),
      lastSyncTime: doc(
        z.string().meta({ format: "date-time" }).optional(),
        "When a successful read of the cloud resource last changed this status. Reads that find nothing new write nothing, so it does not move while the resource stays as it is.",
      ),
      conditions: conditions(),
    }),
    `Observed state of the ${kind}, written by the operator.`,
  );
}

export function conditions() {
  return doc(
    z.array(condition).max(16).optional(),
    "Conditions: Ready (usable and matching spec), Synced (last reconcile succeeded), Reconciling and Stalled (kstatus).",
    { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] },
  );
}

// ---------------------------------------------------------------------------------------------
// Whole objects and registry entries

/** Just enough of ObjectMeta for controllers to read; the apiserver owns its validation. */
export const objectMeta = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  creationTimestamp: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof objectMeta>;

export function resourceSchema<K extends string, S extends z.ZodType, St extends z.ZodType>(
  kind: K,
  spec: S,
  status: St,
) {
  return z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata: objectMeta,
    spec,
    status: status.optional(),
  });
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
  priority?: number;
}

/** A printer column; most show a string. */
export function column(
  name: string,
  jsonPath: string,
  description: string,
  type: PrinterColumn["type"] = "string",
): PrinterColumn {
  return { name, type, jsonPath, description };
}

export const readyColumn = column(
  "Ready",
  '.status.conditions[?(@.type=="Ready")].status',
  "Whether the cloud resource is usable and matches the spec.",
);
export const syncedColumn = column(
  "Synced",
  '.status.conditions[?(@.type=="Synced")].status',
  "Whether the last reconcile succeeded.",
);
export const stateColumn = column("State", ".status.state", "State of the cloud resource.");
export const idColumn = column("ID", ".status.id", "ID of the cloud resource.");
export const zoneColumn = column("Zone", ".spec.zone", "Availability zone.");
export const ageColumn = column(
  "Age",
  ".metadata.creationTimestamp",
  "Time since the object was created.",
  "date",
);

/** Everything the generator and the controllers need to know about one kind. */
export interface KindDefinition<Schema extends z.ZodType = z.ZodType> {
  group: typeof GROUP;
  version: typeof VERSION;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  description: string;
  /** The whole object (apiVersion, kind, metadata, spec, status). */
  schema: Schema;
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: PrinterColumn[];
  /** Rules on the whole object (they may read metadata.name). */
  rootRules?: CelRule[];
}

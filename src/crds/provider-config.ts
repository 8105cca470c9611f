// ProviderConfig (namespaced) and ClusterProviderConfig (cluster-scoped): where and as whom the
// operator talks to Cloud Digit. They differ only where scope matters: a namespaced config can
// only read Secrets and ServiceAccounts of its own namespace and can never borrow the operator's
// own identity (tokenPath), so one tenant cannot act with another's or the operator's rights.
import { z } from "zod";
import {
  REGIONS,
  ageColumn,
  column,
  conditions,
  doc,
  immutable,
  objectName,
  readyColumn,
  resourceSchema,
  type CelRule,
  type KindDefinition,
} from "./common.ts";

export const CREDENTIAL_SOURCES = ["OIDC", "APIToken"] as const;
export const OIDC_GRANTS = ["ClientCredentials", "TokenExchange"] as const;
/** Where the operator's own projected ServiceAccount token is mounted by default. */
export const DEFAULT_OPERATOR_TOKEN_PATH = "/var/run/secrets/clouddigit.ai/serviceaccount/token";

const LOOPBACK_HOSTS = "['127.0.0.1', 'localhost', '::1']";

function endpoint(what: string, example: string) {
  return doc(
    z.string().min(1).max(2048).optional(),
    `${what} endpoint URL, overriding the default derived from the region (e.g. ${example}). Must be https://; http:// is accepted only for 127.0.0.1 or localhost.`,
    {
      rules: [
        {
          rule: `isURL(self) && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' && url(self).getHostname() in ${LOOPBACK_HOSTS})) && url(self).getHostname() != ''`,
          message: "endpoint must be an https:// URL (http:// is allowed only for 127.0.0.1 or localhost)",
        },
      ],
    },
  );
}

const secretKey = (what: string, fallback: string) =>
  doc(
    z.string().min(1).max(253).default(fallback),
    `Key in the Secret holding ${what} (default "${fallback}").`,
  );

const namespaceField = (what: string) =>
  doc(
    z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    `Namespace of the ${what}.`,
    {
      patternMessage: "must be a namespace name: lowercase letters, digits and '-'",
    },
  );

const endpoints = doc(
  z.object({
    api: endpoint("REST API", "https://api.bd-dha-1.mymine.space"),
    s3: endpoint("S3", "https://s3.bd-dha-1.mymine.space"),
    identity: endpoint(
      "Identity (OIDC issuer, including the realm)",
      "https://auth.mymine.space/realms/clouddigit",
    ),
  }),
  "Endpoint overrides. Empty fields use the defaults for the region on clouddigit.ai.",
);

const caBundle = doc(
  z.string().min(1).max(65536).optional(),
  "PEM-encoded CA certificates to trust for all endpoints, in addition to the system roots. TLS verification is never turned off.",
  {
    rules: [
      {
        rule: "self.contains('-----BEGIN CERTIFICATE-----')",
        message: "caBundle must contain PEM certificates (-----BEGIN CERTIFICATE-----)",
      },
    ],
  },
);

const region = doc(
  z.enum(REGIONS),
  "Cloud Digit region: bd-dha-1 (Dhaka), bd-ctg-1 (Chattogram) or bd-syl-1 (Sylhet). Immutable.",
  { rules: [immutable("region", "create a new ProviderConfig for another region")] },
);

const project = doc(
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  "Cloud Digit project the resources live in (sent as X-Cd-Project).",
  {
    patternMessage:
      "project must start with a letter or digit and contain only letters, digits, '.', '_' and '-'",
  },
);

function credentialRules(): CelRule[] {
  return [
    {
      rule: "self.source != 'APIToken' || has(self.apiToken)",
      message: "credentials.source APIToken needs credentials.apiToken.secretRef",
      fieldPath: ".apiToken",
      reason: "FieldValueRequired",
    },
    {
      rule: "self.source != 'OIDC' || has(self.oidc)",
      message: "credentials.source OIDC needs credentials.oidc",
      fieldPath: ".oidc",
      reason: "FieldValueRequired",
    },
    {
      rule: "self.source == 'APIToken' || !has(self.apiToken)",
      message: "credentials.apiToken is only used with source APIToken: set exactly one kind of credentials",
      fieldPath: ".apiToken",
      reason: "FieldValueForbidden",
    },
    {
      rule: "self.source == 'OIDC' || !has(self.oidc)",
      message: "credentials.oidc is only used with source OIDC: set exactly one kind of credentials",
      fieldPath: ".oidc",
      reason: "FieldValueForbidden",
    },
    {
      rule: "!has(self.s3) || !has(self.s3.webIdentity) || !self.s3.webIdentity || self.source == 'OIDC'",
      message: "credentials.s3.webIdentity needs credentials.source OIDC",
      fieldPath: ".s3.webIdentity",
    },
  ];
}

const s3Rules: CelRule[] = [
  {
    rule: "has(self.secretRef) != (has(self.webIdentity) && self.webIdentity)",
    message: "set exactly one of s3.secretRef (static access keys) or s3.webIdentity: true",
  },
  {
    rule: "!has(self.roleARN) || (has(self.webIdentity) && self.webIdentity)",
    message: "s3.roleARN is only used with s3.webIdentity: true",
    fieldPath: ".roleARN",
  },
];

const s3Description =
  "How the operator gets S3 credentials for Buckets: static access keys from a Secret, or temporary keys from the OIDC token via web-identity STS. Empty: Buckets cannot be managed with this config.";
const workloadDescription =
  "Secret with S3 access keys to copy into a Bucket's outputs.secretName for workloads. The operator's own S3 credentials are never handed out.";
const oidcDescription =
  "OIDC workload identity: a Kubernetes ServiceAccount token is exchanged at the identity endpoint for a short-lived Cloud Digit access token, cached and refreshed before expiry.";

const oidcCommon = {
  clientID: doc(z.string().min(1).max(255), "OIDC client ID registered in the Cloud Digit realm."),
  audience: doc(
    z.string().min(1).max(255).optional(),
    "Audience of the ServiceAccount token presented to the identity endpoint. Empty: the identity endpoint (issuer) URL.",
  ),
  grant: doc(
    z.enum(OIDC_GRANTS).default("ClientCredentials"),
    "ClientCredentials (default): client_credentials grant with the ServiceAccount token as client assertion. TokenExchange: RFC 8693 token exchange with the ServiceAccount token as subject token.",
  ),
};

/**
 * The spec of either config. The two differ only where scope matters: how a Secret is named (in
 * the config's own namespace, or with a namespace) and whose token OIDC exchanges.
 */
function configSpec<SecretRef extends z.ZodType, S3KeysRef extends z.ZodType, Oidc extends z.ZodType>(scope: {
  description: string;
  secretRef: (what: string, keyName: string) => SecretRef;
  s3KeysRef: (what: string) => S3KeysRef;
  oidc: Oidc;
}) {
  return doc(
    z.object({
      region,
      project,
      endpoints: endpoints.optional(),
      caBundle,
      credentials: doc(
        z.object({
          source: doc(
            z.enum(CREDENTIAL_SOURCES),
            "OIDC (workload identity, preferred) or APIToken (a cd_... token from a Secret; rotation is picked up without restart).",
          ),
          apiToken: doc(
            z.object({ secretRef: scope.secretRef("the API token (cd_...)", "token") }),
            "API token settings, for source APIToken.",
          ).optional(),
          oidc: scope.oidc.optional(),
          s3: doc(
            z.object({
              secretRef: scope.s3KeysRef("Secret with static S3 access keys.").optional(),
              ...s3Common,
            }),
            s3Description,
            { rules: s3Rules },
          ).optional(),
          workloadS3SecretRef: scope.s3KeysRef(workloadDescription).optional(),
        }),
        "How the operator authenticates to Cloud Digit. Exactly one of apiToken or oidc, matching source.",
        { rules: credentialRules() },
      ),
    }),
    scope.description,
  );
}

// --- namespaced -------------------------------------------------------------------------------

const localSecretRef = (what: string, keyName: string) =>
  doc(
    z.object({ name: objectName("Secret in the ProviderConfig's namespace"), key: secretKey(what, keyName) }),
    `Secret in the ProviderConfig's namespace holding ${what}.`,
  );

const localS3KeysRef = (what: string) =>
  doc(
    z.object({
      name: objectName("Secret in the ProviderConfig's namespace"),
      accessKeyIDKey: secretKey("the access key ID", "accessKeyID"),
      secretAccessKeyKey: secretKey("the secret access key", "secretAccessKey"),
    }),
    what,
  );

const s3Common = {
  webIdentity: doc(
    z.boolean().optional(),
    "Get temporary S3 keys with AssumeRoleWithWebIdentity using the OIDC token (needs source OIDC).",
  ),
  roleARN: doc(
    z.string().min(1).max(2048).optional(),
    "Role to assume with web identity, when the S3 endpoint needs one.",
  ),
};

export const providerConfigSpec = configSpec({
  description: "Where and as whom to reach Cloud Digit for objects in this namespace.",
  secretRef: localSecretRef,
  s3KeysRef: localS3KeysRef,
  oidc: doc(
    z.object({
      ...oidcCommon,
      serviceAccountName: objectName(
        "",
        "ServiceAccount in the ProviderConfig's namespace whose token (requested with TokenRequest) identifies this tenant. A namespaced ProviderConfig cannot use the operator's own token.",
      ),
    }),
    oidcDescription,
  ),
});

// --- cluster-scoped ---------------------------------------------------------------------------

const clusterSecretRef = (what: string, keyName: string) =>
  doc(
    z.object({
      name: objectName("Secret"),
      namespace: namespaceField("Secret"),
      key: secretKey(what, keyName),
    }),
    `Secret holding ${what}.`,
  );

const clusterS3KeysRef = (what: string) =>
  doc(
    z.object({
      name: objectName("Secret"),
      namespace: namespaceField("Secret"),
      accessKeyIDKey: secretKey("the access key ID", "accessKeyID"),
      secretAccessKeyKey: secretKey("the secret access key", "secretAccessKey"),
    }),
    what,
  );

export const clusterProviderConfigSpec = configSpec({
  description: "Where and as whom to reach Cloud Digit, for objects in any namespace that name this config.",
  secretRef: clusterSecretRef,
  s3KeysRef: clusterS3KeysRef,
  oidc: doc(
    z.object({
      ...oidcCommon,
      tokenPath: doc(
        z.string().min(1).max(4096).regex(/^\//).optional(),
        `File with the operator's own projected ServiceAccount token. Empty (and no serviceAccountName): ${DEFAULT_OPERATOR_TOKEN_PATH}.`,
        { patternMessage: "tokenPath must be an absolute path" },
      ),
      serviceAccountName: objectName(
        "",
        "ServiceAccount whose token (requested with TokenRequest) is exchanged, instead of the operator's own token. Needs serviceAccountNamespace.",
      ).optional(),
      serviceAccountNamespace: namespaceField("ServiceAccount named by serviceAccountName").optional(),
    }),
    oidcDescription,
    {
      rules: [
        {
          rule: "!(has(self.tokenPath) && has(self.serviceAccountName))",
          message: "set at most one of oidc.tokenPath (the operator's own token) or oidc.serviceAccountName",
        },
        {
          rule: "has(self.serviceAccountName) == has(self.serviceAccountNamespace)",
          message: "oidc.serviceAccountName and oidc.serviceAccountNamespace go together",
          fieldPath: ".serviceAccountNamespace",
        },
      ],
    },
  ),
});

export const providerConfigStatus = doc(
  z.object({
    observedGeneration: doc(z.int().min(0).optional(), "metadata.generation the operator last checked."),
    endpoints: doc(
      z.object({
        api: doc(z.string().max(2048).optional(), "REST API endpoint in use."),
        s3: doc(z.string().max(2048).optional(), "S3 endpoint in use."),
        identity: doc(z.string().max(2048).optional(), "Identity endpoint in use."),
      }),
      "The endpoints in effect after defaults and overrides.",
    ).optional(),
    conditions: conditions(),
  }),
  "Observed state of the config: whether its credentials work.",
);

export const providerConfigSchema = resourceSchema(
  "ProviderConfig",
  providerConfigSpec,
  providerConfigStatus,
);
export const clusterProviderConfigSchema = resourceSchema(
  "ClusterProviderConfig",
  clusterProviderConfigSpec,
  providerConfigStatus,
);

export type ProviderConfigSpec = z.infer<typeof providerConfigSpec>;
export type ClusterProviderConfigSpec = z.infer<typeof clusterProviderConfigSpec>;
export type ProviderConfigStatus = z.infer<typeof providerConfigStatus>;
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ClusterProviderConfig = z.infer<typeof clusterProviderConfigSchema>;
export type AnyProviderConfig = ProviderConfig | ClusterProviderConfig;

const providerConfigColumns = [
  column("Region", ".spec.region", "Cloud Digit region."),
  column("Project", ".spec.project", "Cloud Digit project."),
  column("Source", ".spec.credentials.source", "Kind of credentials."),
  readyColumn,
  ageColumn,
] as const;

export const providerConfigKind: KindDefinition<typeof providerConfigSchema> = {
  group: "clouddigit.ai",
  version: "v1alpha1",
  kind: "ProviderConfig",
  plural: "providerconfigs",
  singular: "providerconfig",
  shortNames: ["cdpc"],
  namespaced: true,
  description:
    'Region, project, endpoints and credentials for Cloud Digit objects in one namespace. Objects use the one named in spec.providerConfigRef (default "default").',
  schema: providerConfigSchema,
  spec: providerConfigSpec,
  status: providerConfigStatus,
  printerColumns: [...providerConfigColumns],
};

export const clusterProviderConfigKind: KindDefinition<typeof clusterProviderConfigSchema> = {
  group: "clouddigit.ai",
  version: "v1alpha1",
  kind: "ClusterProviderConfig",
  plural: "clusterproviderconfigs",
  singular: "clusterproviderconfig",
  shortNames: ["cdcpc"],
  namespaced: false,
  description:
    "Cluster-wide region, project, endpoints and credentials for Cloud Digit, used by objects in any namespace whose providerConfigRef names it and that have no ProviderConfig of that name.",
  schema: clusterProviderConfigSchema,
  spec: clusterProviderConfigSpec,
  status: providerConfigStatus,
  printerColumns: [...providerConfigColumns],
};

/**
 * Condition on a ProviderConfig or ClusterProviderConfig naming the objects using it whose
 * deletion is stuck (Argo CD shows deleting objects only as "Pending deletion").
 */
export const DELETIONS_STALLED_CONDITION = "DeletionsStalled";

// Public surface of the Cloud Digit client: the only code that knows the wire format.
export { CloudDigitApi, ServerCollection, VolumeCollection } from "./api/cloud-digit-api.ts";
export {
  Collection,
  type CreateOptions,
  type DeleteOutcome,
  type ListFilter,
  type Page,
} from "./api/collection.ts";
export type * from "./api/schemas.ts";
export { keepAliveClock, type Clock } from "../shared/clock.ts";
export type { Credential } from "./credentials/credential.ts";
export { OidcCredential, type OidcCredentialOptions } from "./credentials/oidc.ts";
export { readSecretKey, type SecretReadApi } from "./credentials/secret.ts";
export { StaticTokenCredential, fingerprint } from "./credentials/static-token.ts";
export {
  ProjectedTokenFile,
  TokenRequestSource,
  type SubjectTokenSource,
  type TokenRequestApi,
} from "./credentials/subject-token.ts";
export { CloudDigitError, isCloudDigitError, parseRetryAfter, type ErrorKind } from "./errors.ts";
export {
  ClientFactory,
  defaultEndpoints,
  type ClientFactoryOptions,
  type CloudDigitClient,
  type ProviderSettings,
} from "./factory.ts";
export { CLIENT_REDACT_PATHS } from "./logging.ts";
export { ClientMetrics } from "./metrics.ts";
export {
  CredentialRateLimiter,
  RateLimiterRegistry,
  type Priority,
  type RateLimiterOptions,
} from "./rate-limiter.ts";
export { RestClient, type CallOptions, type RestClientOptions } from "./rest-client.ts";
export type { RetryOptions } from "./retry.ts";
export {
  BucketApi,
  createS3Client,
  webIdentityCredentials,
  type S3ClientOptions,
  type S3CredentialProvider,
  type S3StaticKeys,
} from "./s3.ts";
export { closeAllPools, UndiciTransport, type Transport } from "./transport.ts";

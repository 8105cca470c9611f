/** The error codes of the REST v1 contract (see docs/cloud-digit-api.md). */
export const ERROR_CODES = [
  "invalid_request",
  "unauthenticated",
  "forbidden",
  "mfa_required",
  "not_found",
  "conflict",
  "in_use",
  "invalid_state",
  "idempotency_mismatch",
  "quota_exceeded",
  "budget_exceeded",
  "rate_limited",
  "internal",
  "unavailable",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A failure that becomes an error envelope `{"error": {code, message, request_id, details?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(400, "invalid_request", message, details);

export const unprocessable = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(422, "invalid_request", message, details);

export const notFound = (message: string): ApiError => new ApiError(404, "not_found", message);

export const invalidState = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(409, "invalid_state", message, details);

export const inUse = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(409, "in_use", message, details);

export const conflict = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(409, "conflict", message, details);

/** One problem in a rejected request: a JSON pointer into `{ path, query, headers, body }` and why. */
export interface FieldError {
  path: string;
  message: string;
}

/** Base of every error the API answers on purpose; the runtime turns it into problem+json. */
export class HttpError extends Error {
  readonly headers: Record<string, string>;
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(detail, options);
    this.name = new.target.name;
    this.headers = headers;
  }
}

export class BadRequestError extends HttpError {
  constructor(
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(400, 'Bad Request', detail);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(detail = 'The request carries no verified identity.') {
    super(401, 'Unauthorized', detail);
  }
}

export class ForbiddenError extends HttpError {
  constructor(detail: string) {
    super(403, 'Forbidden', detail);
  }
}

export class NotFoundError extends HttpError {
  constructor(detail: string) {
    super(404, 'Not Found', detail);
  }
}

export class ConflictError extends HttpError {
  constructor(detail: string) {
    super(409, 'Conflict', detail);
  }
}

export class MethodNotAllowedError extends HttpError {
  /** `allow`: the methods the path answers, as the `Allow` header lists them. */
  constructor(detail: string, allow: string) {
    super(405, 'Method Not Allowed', detail, { Allow: allow });
  }
}

export class PreconditionFailedError extends HttpError {
  constructor(detail: string) {
    super(412, 'Precondition Failed', detail);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(detail: string) {
    super(413, 'Content Too Large', detail);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(detail: string) {
    super(415, 'Unsupported Media Type', detail);
  }
}

export class UnprocessableEntityError extends HttpError {
  constructor(detail: string) {
    super(422, 'Unprocessable Content', detail);
  }
}

/**
 * What a 503 waited for, each counted as a metric of its own: the database (unreachable), a secret
 * it could not read, or contention (a healthy database busy with another request's locks).
 */
export type UnavailableReason = 'database' | 'secret' | 'contention';

export class ServiceUnavailableError extends HttpError {
  readonly reason: UnavailableReason | undefined;
  constructor(detail: string, retryAfterSeconds: number, options?: ErrorOptions & { reason?: UnavailableReason }) {
    super(503, 'Service Unavailable', detail, { 'Retry-After': String(retryAfterSeconds) }, options);
    this.reason = options?.reason;
  }
}

/** The answer to a caller with a valid ID token who has no profile yet. */
export const registerFirst = (): ForbiddenError =>
  new ForbiddenError('Register first: POST /users creates your profile from your ID token.');

/**
 * What a handler scaffolded by `npm run scaffold` throws until it is written: 501 problem+json,
 * a status no operation documents, so a test that expects the real behaviour fails.
 */
export class NotImplementedError extends HttpError {
  constructor(operationId: string) {
    super(501, 'Not Implemented', `${operationId} is specified but not implemented yet.`);
  }
}

/**
 * The caller as API Gateway's Cognito authorizer describes them: the verified ID token's claims,
 * delivered in `requestContext.authorizer.claims` (every value a string).
 */

export interface Principal {
  sub: string;
  email: string | undefined;
  /** `name`, else `cognito:username`, else the email's local part. */
  name: string;
  phoneNumber: string | undefined;
  groups: string[];
}

type Claims = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * `cognito:groups` arrives as a string: `admin`, `admin,editors` (REST API) or `[admin editors]`
 * (HTTP API), or as an array when the claims come straight from a verified token.
 */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  const raw = text(value);
  if (!raw) return [];
  return raw
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
}

/** Builds the principal from authorizer claims; undefined when there is no verified ID token. */
export function principalFromClaims(claims: Claims | undefined | null): Principal | undefined {
  const sub = text(claims?.sub);
  if (!claims || !sub) return undefined;
  const email = text(claims.email);
  return {
    sub,
    email,
    name: (text(claims.name) ?? text(claims['cognito:username']) ?? email?.split('@')[0] ?? sub).slice(0, 100),
    phoneNumber: text(claims.phone_number),
    groups: parseGroups(claims['cognito:groups']),
  };
}

import { timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from './errors.ts';
import type { SecretReader } from './secrets.ts';

/** The header CloudFront adds to every origin request; its value lives in Secrets Manager. */
export const originVerifyHeader = 'x-origin-verify';

const same = (a: string, b: string) => {
  if (b === '') return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * Rejects requests that did not come through CloudFront: the header must equal the secret's
 * current value or, while a rotation propagates to CloudFront, its previous one. A value that
 * matches neither causes a re-read only when the secret reader grants one (at most once a minute),
 * so forged headers cost no Secrets Manager call; a genuine new value passes within that minute.
 */
export async function verifyOrigin(
  secretArn: string,
  received: string | undefined,
  secrets: SecretReader,
): Promise<void> {
  const rejected = new ForbiddenError('Requests must come through the API\u2019s CloudFront distribution.');
  if (!received) throw rejected;
  const matches = async () =>
    same(received, (await secrets.get(secretArn, 'AWSCURRENT')) ?? '') ||
    same(received, (await secrets.get(secretArn, 'AWSPREVIOUS')) ?? '');
  if (await matches()) return;
  // The value may have rotated since it was cached.
  if (secrets.refresh(secretArn) && (await matches())) return;
  throw rejected;
}

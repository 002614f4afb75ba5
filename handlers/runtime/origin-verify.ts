import { timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from './errors.ts';
import type { SecretReader } from './secrets.ts';

/** The header CloudFront adds to every origin request; its value lives in Secrets Manager. */
export const originVerifyHeader = 'x-origin-verify';

const same = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * Rejects requests that did not come through CloudFront: the header must equal the secret's
 * current value or, while a rotation propagates to CloudFront, its previous one.
 */
export async function verifyOrigin(
  secretArn: string,
  received: string | undefined,
  secrets: SecretReader,
): Promise<void> {
  const rejected = new ForbiddenError('Requests must come through the API\u2019s CloudFront distribution.');
  if (!received) throw rejected;
  const current = await secrets.get(secretArn, 'AWSCURRENT');
  if (current && same(received, current)) return;
  const previous = await secrets.get(secretArn, 'AWSPREVIOUS');
  if (previous && same(received, previous)) return;
  // The value may have rotated since it was cached: read once more before rejecting.
  secrets.refresh(secretArn);
  const fresh = await secrets.get(secretArn, 'AWSCURRENT');
  if (fresh && same(received, fresh)) return;
  throw rejected;
}

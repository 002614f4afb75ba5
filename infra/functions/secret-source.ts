/**
 * How the stack's own functions (migrations, the idempotency-key sweep) read a secret: once per
 * invocation, no cache — unlike the API's bounded reader (handlers/runtime/secrets.ts), they run
 * rarely and must see a rotated password at once.
 */

/** Reads a secret's current value (its SecretString). */
export type SecretSource = (arn: string) => Promise<string | undefined>;

/** Secrets Manager; the SDK (part of the Lambda runtime) is loaded on first use only. */
export function secretsManager(): SecretSource {
  let client: Promise<SecretSource> | undefined;
  return async (arn) => {
    client ??= import('@aws-sdk/client-secrets-manager').then(({ SecretsManagerClient, GetSecretValueCommand }) => {
      const sdk = new SecretsManagerClient({});
      return async (id: string) => (await sdk.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
    });
    return (await client)(arn);
  };
}

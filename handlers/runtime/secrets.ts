/**
 * Secrets Manager reads, cached for the life of a warm Lambda and re-read on demand (after an
 * authentication failure, i.e. a rotation). The SDK is imported lazily: local mode never loads it.
 */

export type VersionStage = 'AWSCURRENT' | 'AWSPREVIOUS';

export interface SecretReader {
  /** The secret string at `stage` (AWSCURRENT by default), cached until `refresh()`. */
  get(arn: string, stage?: VersionStage): Promise<string | undefined>;
  /** Forgets cached values so the next `get` reads Secrets Manager again. */
  refresh(arn: string): void;
}

type Fetch = (arn: string, stage: VersionStage) => Promise<string | undefined>;

async function fetchFromSecretsManager(): Promise<Fetch> {
  const { SecretsManagerClient, GetSecretValueCommand, ResourceNotFoundException } = await import(
    '@aws-sdk/client-secrets-manager'
  );
  const client = new SecretsManagerClient({});
  return async (arn, stage) => {
    try {
      const result = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
      return result.SecretString;
    } catch (error) {
      // A secret that was never rotated has no AWSPREVIOUS version.
      if (error instanceof ResourceNotFoundException && stage === 'AWSPREVIOUS') return undefined;
      throw error;
    }
  };
}

/** Creates a cached secret reader; `fetch` defaults to Secrets Manager. */
export function createSecretReader(fetch?: Fetch): SecretReader {
  const cache = new Map<string, Promise<string | undefined>>();
  let fetcher: Promise<Fetch> | undefined = fetch ? Promise.resolve(fetch) : undefined;
  return {
    get(arn, stage = 'AWSCURRENT') {
      const key = `${arn}#${stage}`;
      let value = cache.get(key);
      if (!value) {
        fetcher ??= fetchFromSecretsManager();
        value = fetcher.then((read) => read(arn, stage));
        value.catch(() => cache.delete(key));
        cache.set(key, value);
      }
      return value;
    },
    refresh(arn) {
      for (const key of cache.keys()) if (key.startsWith(`${arn}#`)) cache.delete(key);
    },
  };
}

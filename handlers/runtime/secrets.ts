/**
 * Secrets Manager reads, cached for the life of a warm Lambda. Reads are bounded whatever callers
 * do: one read of a secret version in flight at a time, and a re-read (after a failed login or an
 * unknown origin-verify value) at most once per `minRefreshMs`, so forged headers or a storm of
 * failed logins cannot turn into Secrets Manager calls (a denial-of-wallet path, and throttling that
 * would hit real users). The SDK is imported lazily: local mode never loads it.
 */

export type VersionStage = 'AWSCURRENT' | 'AWSPREVIOUS';

export interface SecretReader {
  /** The secret string at `stage` (AWSCURRENT by default), cached until a `refresh()` is granted. */
  get(arn: string, stage?: VersionStage): Promise<string | undefined>;
  /**
   * Asks for fresh values: granted (true) when this secret was last read at least `minRefreshMs`
   * ago, and then the next `get` reads Secrets Manager again; otherwise the cache stays.
   */
  refresh(arn: string): boolean;
}

export type SecretFetch = (arn: string, stage: VersionStage) => Promise<string | undefined>;

export interface SecretReaderOptions {
  /** Defaults to Secrets Manager. */
  fetch?: SecretFetch;
  /** The shortest time between two reads of one secret that a refresh may cause. */
  minRefreshMs?: number;
  /** After a failed read, how long the failure is kept before the next `get` tries again. */
  failureBackoffMs?: number;
  now?: () => number;
}

async function fetchFromSecretsManager(): Promise<SecretFetch> {
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

interface Entry {
  value: Promise<string | undefined>;
  readAt: number;
  failed: boolean;
}

/** Creates a cached, bounded secret reader. */
export function createSecretReader(options: SecretReaderOptions = {}): SecretReader {
  const minRefreshMs = options.minRefreshMs ?? 60_000;
  const failureBackoffMs = options.failureBackoffMs ?? 1000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let fetcher: Promise<SecretFetch> | undefined = options.fetch ? Promise.resolve(options.fetch) : undefined;
  const keyOf = (arn: string, stage: VersionStage) => `${arn}#${stage}`;
  const entriesOf = (arn: string) => [...entries].filter(([key]) => key.startsWith(`${arn}#`));

  return {
    get(arn, stage = 'AWSCURRENT') {
      const key = keyOf(arn, stage);
      const cached = entries.get(key);
      if (cached && !(cached.failed && now() - cached.readAt >= failureBackoffMs)) return cached.value;
      fetcher ??= fetchFromSecretsManager();
      const entry: Entry = { value: fetcher.then((read) => read(arn, stage)), readAt: now(), failed: false };
      entry.value.catch(() => {
        entry.failed = true;
        entry.readAt = now();
      });
      entries.set(key, entry);
      return entry.value;
    },
    refresh(arn) {
      const known = entriesOf(arn);
      if (known.some(([, entry]) => now() - entry.readAt < minRefreshMs)) return false;
      for (const [key] of known) entries.delete(key);
      return true;
    },
  };
}

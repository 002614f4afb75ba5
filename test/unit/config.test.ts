import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../handlers/runtime/config.ts';

const databaseUrl = 'postgres://app:secret@localhost:5432/taskboard';
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskboard-db-AbCdEf';

describe('config', () => {
  it('when only DATABASE_URL is set, applies the local-mode defaults', () => {
    // Arrange
    const env = { DATABASE_URL: databaseUrl };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config).toEqual({
      database: {
        url: databaseUrl,
        secretArn: undefined,
        host: undefined,
        idleCheckMs: 5000,
        idleCheckTimeoutMs: 500,
        ssl: false,
        poolMax: 10,
        connectionTimeoutMs: 3000,
        statementTimeoutMs: 5000,
      },
      originVerifySecretArn: undefined,
      logLevel: 'info',
      maxBodyBytes: 64 * 1024,
      retryAfterSeconds: 2,
      corsAllowedOrigins: ['*'],
    });
  });

  it('when running on Lambda with a database secret, uses one connection and TLS', () => {
    // Arrange
    const env = { DB_SECRET_ARN: secretArn, AWS_LAMBDA_FUNCTION_NAME: 'taskboard-api' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.database).toMatchObject({ url: undefined, secretArn, ssl: true, poolMax: 1 });
  });

  it('when every variable is set, reads each of them', () => {
    // Arrange
    const env = {
      DATABASE_URL: databaseUrl,
      DB_HOST: 'proxy.example.internal',
      DB_IDLE_CHECK_MS: '0',
      DB_IDLE_CHECK_TIMEOUT_MS: '250',
      DB_SSL: 'on',
      DB_POOL_MAX: '3',
      DB_CONNECTION_TIMEOUT_MS: '1500',
      DB_STATEMENT_TIMEOUT_MS: '2500',
      ORIGIN_VERIFY_SECRET_ARN: secretArn,
      LOG_LEVEL: 'debug',
      MAX_BODY_BYTES: '2048',
      RETRY_AFTER_SECONDS: '7',
      CORS_ALLOWED_ORIGINS: 'https://spa.example.com, http://localhost:5173',
    };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config).toEqual({
      database: {
        url: databaseUrl,
        secretArn: undefined,
        host: 'proxy.example.internal',
        idleCheckMs: 0,
        idleCheckTimeoutMs: 250,
        ssl: true,
        poolMax: 3,
        connectionTimeoutMs: 1500,
        statementTimeoutMs: 2500,
      },
      originVerifySecretArn: secretArn,
      logLevel: 'debug',
      maxBodyBytes: 2048,
      retryAfterSeconds: 7,
      corsAllowedOrigins: ['https://spa.example.com', 'http://localhost:5173'],
    });
  });

  it('when neither DATABASE_URL nor DB_SECRET_ARN is set, throws naming DATABASE_URL', () => {
    // Arrange
    const env = {};

    // Act
    const load = () => loadConfig(env);

    // Assert
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/DATABASE_URL/);
  });

  it.each([
    ['DATABASE_URL', 'mysql://app@localhost/taskboard'],
    ['DB_SECRET_ARN', 'taskboard-db'],
    ['DB_IDLE_CHECK_MS', '-1'],
    ['DB_IDLE_CHECK_TIMEOUT_MS', '10'],
    ['DB_SSL', 'yes'],
    ['DB_POOL_MAX', '0'],
    ['DB_POOL_MAX', 'ten'],
    ['DB_CONNECTION_TIMEOUT_MS', '50'],
    ['DB_STATEMENT_TIMEOUT_MS', '1.5'],
    ['ORIGIN_VERIFY_SECRET_ARN', 'arn:aws:s3:::bucket'],
    ['LOG_LEVEL', 'verbose'],
    ['MAX_BODY_BYTES', '100'],
    ['RETRY_AFTER_SECONDS', '-1'],
    ['CORS_ALLOWED_ORIGINS', 'https://spa.example.com/app'],
    ['CORS_ALLOWED_ORIGINS', 'spa.example.com'],
  ])('when %s is "%s", throws a ConfigError naming it', (variable, value) => {
    // Arrange
    const env = { DATABASE_URL: databaseUrl, [variable]: value };

    // Act
    const load = () => loadConfig(env);

    // Assert
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`\\b${variable}\\b`));
  });
});

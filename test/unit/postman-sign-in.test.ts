/**
 * The Postman collection's sign-in (scripts/postman.ts): Postman's OAuth 2.0 helper with the code
 * grant and PKCE S256, sending the ID token, against the sign-in its environment names, and coming
 * back to Postman's callback, which the local client registers.
 */
import { describe, expect, it } from 'vitest';
import { localPool } from '../../scripts/local/identity.ts';
import { localClient, postmanCallbackUrl } from '../../scripts/local/sign-in.ts';
import { buildCollection, environment } from '../../scripts/postman.ts';

const setting = (auth: { oauth2?: ReadonlyArray<{ key: string; value: unknown }> } | undefined, key: string) =>
  auth?.oauth2?.find((entry) => entry.key === key)?.value;

describe('npm run postman', () => {
  it("signs the collection in with Postman's OAuth 2.0 helper: code with PKCE S256, the ID token as bearer", async () => {
    // Act
    const collection = await buildCollection();

    // Assert
    const auth = collection.auth as { type: string; oauth2: Array<{ key: string; value: unknown }> };
    expect(auth.type).toBe('oauth2');
    expect(setting(auth, 'grant_type')).toBe('authorization_code_with_pkce');
    expect(setting(auth, 'challengeAlgorithm')).toBe('S256');
    expect(setting(auth, 'tokenType')).toBe('id_token');
    expect(setting(auth, 'authUrl')).toBe('{{authUrl}}');
    expect(setting(auth, 'accessTokenUrl')).toBe('{{accessTokenUrl}}');
    expect(setting(auth, 'clientId')).toBe('{{clientId}}');
    expect(setting(auth, 'accessToken')).toBe('{{token}}');
    expect(setting(auth, 'headerPrefix')).toBe('Bearer');
    expect(setting(auth, 'redirect_uri')).toBe(postmanCallbackUrl);
    expect(String(setting(auth, 'scope')).split(' ')).toContain('openid');
  });

  it("comes back to a callback the local client registers, and the local environment names the sign-in's endpoints", () => {
    // Act
    const local = environment('Taskboard local', 'http://localhost:3000', 'token', {
      origin: 'http://localhost:3001',
      clientId: localPool.clientId,
    });

    // Assert
    const values = Object.fromEntries(local.values.map(({ key, value }) => [key, value]));
    expect(values).toMatchObject({
      baseUrl: 'http://localhost:3000',
      token: 'token',
      authUrl: 'http://localhost:3001/oauth2/authorize',
      accessTokenUrl: 'http://localhost:3001/oauth2/token',
      clientId: localPool.clientId,
    });
    expect(localClient(3000).redirectUris).toContain(postmanCallbackUrl);
  });
});

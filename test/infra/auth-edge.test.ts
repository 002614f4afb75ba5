import { Match } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { beforeAll, describe, expect, it } from 'vitest';
import { render, resourcesOfType, type Synthesized, synthesizeTaskboard } from './support/synthesize.ts';

const clientOf = (synthesized: Synthesized): Record<string, unknown> => {
  const [[, client] = []] = resourcesOfType(synthesized.json, 'AWS::Cognito::UserPoolClient');
  return client?.Properties ?? {};
};

describe('Auth', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
  });

  it('signs users in by email, lets them sign up and verifies their email', () => {
    synthesized.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
    });
  });

  it('requires passwords of at least 12 characters with every character class', () => {
    synthesized.template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
    });
  });

  it('has the admin group', () => {
    synthesized.template.hasResourceProperties('AWS::Cognito::UserPoolGroup', {
      GroupName: 'admin',
      UserPoolId: { Ref: synthesized.logicalId(synthesized.stack.auth.userPool) },
    });
  });

  it('has a public SPA client: no secret, authorization code only (PKCE), scopes openid, email, phone and profile', () => {
    const client = clientOf(synthesized);

    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect((client.AllowedOAuthScopes as string[]).sort()).toEqual(['email', 'openid', 'phone', 'profile']);
    expect(client.PreventUserExistenceErrors).toBe('ENABLED');
    expect(client.ExplicitAuthFlows).not.toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
  });

  it("redirects to the deployed app, the Vite dev server and Postman's callback by default; signs out to the first two", () => {
    const callbacks = (clientOf(synthesized).CallbackURLs as unknown[]).map(render);
    const logouts = (clientOf(synthesized).LogoutURLs as unknown[]).map(render);

    expect(callbacks).toEqual([
      expect.stringMatching(/^https:\/\/<EdgeDistribution\w+\.DomainName>\/app\/$/),
      'http://localhost:5173/app/',
      'https://oauth.pstmn.io/v1/callback',
    ]);
    expect(logouts).toEqual(callbacks.slice(0, 2));
  });

  it('derives a stable hosted-UI domain prefix from the stack name and account', () => {
    synthesized.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['taskboard-', { Ref: 'AWS::AccountId' }]] },
    });
  });

  describe('with callbackUrls, hostedUiDomainPrefix and enableAdminPasswordAuth from context', () => {
    let configured: Synthesized;

    beforeAll(() => {
      configured = synthesizeTaskboard({
        context: {
          callbackUrls: 'https://app.example.com/callback,http://localhost:5173/',
          hostedUiDomainPrefix: 'taskboard-demo',
          enableAdminPasswordAuth: 'true',
        },
      });
    });

    it('uses those callback URLs after the deployed app, and them as logout URLs when none are given', () => {
      const callbacks = (clientOf(configured).CallbackURLs as unknown[]).map(render);
      const logouts = (clientOf(configured).LogoutURLs as unknown[]).map(render);

      expect(callbacks.slice(1)).toEqual(['https://app.example.com/callback', 'http://localhost:5173/']);
      expect(callbacks[0]).toMatch(/\/app\/$/);
      expect(logouts).toEqual(callbacks);
    });

    it('uses the given domain prefix', () => {
      configured.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'taskboard-demo' });
    });

    it('allows the admin password flow for CLI testing', () => {
      expect(clientOf(configured).ExplicitAuthFlows).toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
    });
  });
});

describe('Edge', () => {
  let synthesized: Synthesized;
  let origin: Record<string, unknown>;
  let behavior: Record<string, unknown>;

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
    const [[, distribution] = []] = resourcesOfType(synthesized.json, 'AWS::CloudFront::Distribution');
    const config = distribution?.Properties?.DistributionConfig as {
      Origins: Record<string, unknown>[];
      DefaultCacheBehavior: Record<string, unknown>;
    };
    origin = config.Origins[0] ?? {};
    behavior = config.DefaultCacheBehavior;
  });

  it('sends every request to the API stage over HTTPS', () => {
    const restApi = synthesized.logicalId(synthesized.stack.api.restApi);

    expect(render(origin.DomainName)).toBe(`<${restApi}>.execute-api.<AWS::Region>.<AWS::URLSuffix>`);
    expect(origin.OriginPath).toBe('/v1');
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
  });

  it('caches nothing, forwards every viewer header but Host, and allows every method', () => {
    expect(behavior.CachePolicyId).toBe(cloudfront.CachePolicy.CACHING_DISABLED.cachePolicyId);
    expect(behavior.OriginRequestPolicyId).toBe(
      cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
    );
    expect((behavior.AllowedMethods as string[]).sort()).toEqual(
      ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].sort(),
    );
  });

  it('adds the X-Origin-Verify header from Secrets Manager, never as a literal', () => {
    const secret = synthesized.logicalId(synthesized.stack.edge.originVerifySecret);

    expect(origin.OriginCustomHeaders).toEqual([
      {
        HeaderName: 'X-Origin-Verify',
        HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secret }, ':SecretString:::}}']] },
      },
    ]);
  });

  it('generates the origin-verify value as a plain string without punctuation', () => {
    const secret = synthesized.json.Resources[synthesized.logicalId(synthesized.stack.edge.originVerifySecret)];

    expect(secret?.Properties?.GenerateSecretString).toEqual({ ExcludePunctuation: true, PasswordLength: 48 });
  });

  it('pins the header to a secret version when originVerifySecretVersionId is set (rotation)', () => {
    const versionId = '0c8a2f9e-1b7d-4f3a-9e55-6d2b8c1a7f40';
    const pinned = synthesizeTaskboard({ context: { originVerifySecretVersionId: versionId } });
    const [[, distribution] = []] = resourcesOfType(pinned.json, 'AWS::CloudFront::Distribution');
    const config = distribution?.Properties?.DistributionConfig as { Origins: { OriginCustomHeaders: unknown[] }[] };

    const header = config.Origins[0]?.OriginCustomHeaders[0] as { HeaderValue: unknown };

    expect(render(header.HeaderValue)).toMatch(new RegExp(`:SecretString:::${versionId}}}$`));
  });
});

import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** The Cognito group whose members register as administrators. */
export const adminGroupName = 'admin';

export interface AuthProps {
  /** Hosted-UI domain prefix; when absent `<stack name>-<account id>`, which is stable per account. */
  hostedUiDomainPrefix: string | undefined;
  /** Cognito Plus tier with enforced threat protection. */
  threatProtection: boolean;
  /** `DESTROY` deletes the pool (and every user) with the stack; anything else keeps it. */
  removalPolicy: RemovalPolicy;
  /** Send email through SES from a verified identity instead of Cognito's sender (50 emails a day). */
  ses: { fromEmail: string; region: string; configurationSet: string | undefined } | undefined;
}

export interface SpaClientOptions {
  callbackUrls: string[];
  logoutUrls: string[];
  /** Adds `ADMIN_USER_PASSWORD_AUTH`, which lets an IAM principal sign in with a password from the CLI. */
  enableAdminPasswordAuth: boolean;
}

/**
 * Who may call the API: a Cognito user pool (email sign-in, self sign-up with email verification,
 * a strong password policy), the `admin` group, a hosted-UI domain, and — through
 * {@link Auth.addSpaClient}, once the CloudFront URL is known — a public SPA client using the
 * authorization-code grant with PKCE.
 */
export class Auth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly domain: cognito.UserPoolDomain;
  readonly adminGroup: cognito.CfnUserPoolGroup;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      signInAliases: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: true,
      autoVerify: { email: true },
      keepOriginal: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
        phoneNumber: { required: false, mutable: true },
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      ...(props.ses
        ? {
            email: cognito.UserPoolEmail.withSES({
              fromEmail: props.ses.fromEmail,
              sesRegion: props.ses.region,
              ...(props.ses.configurationSet ? { configurationSetName: props.ses.configurationSet } : {}),
            }),
          }
        : {}),
      featurePlan: props.threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      ...(props.threatProtection
        ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION }
        : {}),
      deletionProtection: props.removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy: props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'Self sign-up SPA: TOTP MFA is offered (optional), not forced on every user.',
    });
    if (!props.threatProtection) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: 'Plus tier (threat protection) is billed per active user; deploy with -c threatProtection=true.',
      });
    }

    this.adminGroup = new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: adminGroupName,
      description: 'Registered as administrators on first registration (POST /users).',
      precedence: 0,
    });

    const stackPrefix = Stack.of(this)
      .stackName.toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/aws|amazon|cognito/g, 'x')
      .slice(0, 48);
    this.domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: props.hostedUiDomainPrefix ?? `${stackPrefix}-${Aws.ACCOUNT_ID}` },
    });
  }

  /**
   * The SPA's public client: no secret, authorization code + PKCE, scopes openid, email, phone and
   * profile (so hosted-UI ID tokens carry `name`).
   */
  addSpaClient(id: string, options: SpaClientOptions): cognito.UserPoolClient {
    return this.userPool.addClient(id, {
      generateSecret: false,
      authFlows: { userSrp: true, adminUserPassword: options.enableAdminPasswordAuth },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [
          cognito.OAuthScope.OPENID,
          cognito.OAuthScope.EMAIL,
          cognito.OAuthScope.PHONE,
          cognito.OAuthScope.PROFILE,
        ],
        callbackUrls: options.callbackUrls,
        logoutUrls: options.logoutUrls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
  }
}

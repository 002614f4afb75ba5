/**
 * `npm run token -- <email> [--group <name>]…`: prints a local Cognito-style ID token for `email`
 * and nothing else, so `TOKEN=$(npm run -s token -- bob@example.com)` works. alice@example.com
 * carries the `admin` group by default.
 *
 * `npm run token -- --deployed <email>`: a real ID token from the deployed user pool (ids from
 * cdk-outputs.json), through AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH — which needs AWS
 * credentials allowed `cognito-idp:AdminInitiateAuth` and a stack deployed with
 * `-c enableAdminPasswordAuth=true`. The password comes from TASKBOARD_PASSWORD or is asked for on
 * the terminal (not echoed).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AdminInitiateAuthCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { issueIdToken } from './local/identity.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const deployed = args.includes('--deployed');
const email = args.find((arg) => !arg.startsWith('--') && args[args.indexOf(arg) - 1] !== '--group');
const groups = args.flatMap((arg, index) => (args[index - 1] === '--group' ? [arg] : []));

if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
  console.error('usage: npm run -s token -- <email> [--group admin]\n       npm run -s token -- --deployed <email>');
  process.exit(2);
}

/** Asks on the terminal without echoing what is typed (stderr, so stdout stays the token). */
function askPassword(): Promise<string> {
  return new Promise((resolve) => {
    const terminal = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = terminal as unknown as { _writeToOutput(text: string): void };
    process.stderr.write(`Password for ${email}: `);
    output._writeToOutput = () => undefined;
    terminal.question('', (answer) => {
      terminal.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

async function deployedToken(username: string): Promise<string> {
  const file = path.join(root, 'cdk-outputs.json');
  if (!existsSync(file)) throw new Error('cdk-outputs.json is missing: run npm run deploy first.');
  const outputs = Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[0];
  const userPoolId = outputs?.UserPoolId;
  const clientId = outputs?.UserPoolClientId;
  if (!userPoolId || !clientId) throw new Error('cdk-outputs.json has no UserPoolId or UserPoolClientId.');
  const password = process.env.TASKBOARD_PASSWORD || (await askPassword());
  const cognito = new CognitoIdentityProviderClient({ region: userPoolId.split('_')[0] });
  const answer = await cognito.send(
    new AdminInitiateAuthCommand({
      UserPoolId: userPoolId,
      ClientId: clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  if (answer.ChallengeName) {
    throw new Error(
      `Cognito asks for ${answer.ChallengeName} first (e.g. a new password): sign in once in the hosted UI.`,
    );
  }
  const token = answer.AuthenticationResult?.IdToken;
  if (!token) throw new Error('Cognito returned no ID token.');
  return token;
}

if (deployed) {
  try {
    process.stdout.write(`${await deployedToken(email)}\n`);
  } catch (error) {
    console.error(`token: ${(error as Error).message}`);
    process.exit(1);
  }
} else {
  process.stdout.write(`${issueIdToken(email, groups.length > 0 ? { groups } : {})}\n`);
}

/**
 * `npm run token -- <email> [--group <name>]…`: prints a local Cognito-style ID token for `email`
 * and nothing else, so `TOKEN=$(npm run -s token -- bob@example.com)` works. alice@example.com
 * carries the `admin` group by default.
 */
import { issueIdToken } from './local/identity.ts';

const args = process.argv.slice(2);
const email = args.find((arg) => !arg.startsWith('--') && args[args.indexOf(arg) - 1] !== '--group');
const groups = args.flatMap((arg, index) => (args[index - 1] === '--group' ? [arg] : []));

if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
  console.error('usage: npm run -s token -- <email> [--group admin]');
  process.exit(2);
}
process.stdout.write(`${issueIdToken(email, groups.length > 0 ? { groups } : {})}\n`);

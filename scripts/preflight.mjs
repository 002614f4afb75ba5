// Plain Node, no dependencies: runs before `npm start`, `npm run db:psql` and `npm run db:reset`,
// so that a checkout without `npm ci` (or an old Node) gets a clear message instead of
// `sh: 1: tsx: not found`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
const problems = [];
if (major < 20 || (major === 20 && minor < 19)) {
  problems.push(
    `Node ${process.versions.node} is too old: install Node 24 (the Lambda runtime; 20.19 and later, 22, 24 and 26 are tested).`,
  );
}
if (!existsSync(path.join(root, 'node_modules', '.bin', 'tsx'))) {
  problems.push('The dependencies are not installed: run `npm ci` in this folder first, then run this command again.');
}
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}

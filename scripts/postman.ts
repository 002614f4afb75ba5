/**
 * `npm run postman`: a Postman collection of every operation, made from generated/openapi.json by
 * Postman's own converter (openapi-to-postmanv2), and two environments — local (`npm start`, with a
 * local ID token) and deployed (the CloudFront URL, hosted UI and client id from cdk-outputs.json).
 * The collection signs in with Postman's own OAuth 2.0 helper (code with PKCE, sending the ID token)
 * against either environment's sign-in; a pasted token in `token` works too. Written to postman/
 * (not committed: the local environment carries a token).
 *
 * The converter fills path and header parameters with placeholders; the collection runs as generated
 * because each request reads its path parameters (`{{taskId}}`) and If-Match (`{{taskEtag}}`) from
 * collection variables that the test scripts of the requests before it store, and sends a fresh
 * `Idempotency-Key`. The order and the variables come from the spec, so that a run registers,
 * creates, reads, changes and finally deletes what it made.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appScope } from '../client/app-config.ts';
import { type OperationId, operationResponses, operations } from '../generated/operations.ts';
import { creatingOperations } from './lib/creating-operations.ts';
import { issueIdToken, loadLocalKeySet, localPool } from './local/identity.ts';
import { localSettings } from './local/settings.ts';
import { postmanCallbackUrl } from './local/sign-in.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const specFile = path.join(root, 'generated', 'openapi.json');
export const postmanDir = path.join(root, 'postman');
/** The local run's caller: an administrator (so listUsers answers 200) that the run deletes at its end. */
export const postmanEmail = 'postman@example.com';

interface PostmanHeader {
  key: string;
  value: string;
  disabled?: boolean;
}
interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  event?: Array<{ listen: 'prerequest' | 'test'; script: { type: string; exec: string[] } }>;
  request: {
    method: string;
    url: { path: string[]; variable?: Array<{ key: string; value: string }>; query?: PostmanHeader[] };
    header?: PostmanHeader[];
    body?: { mode: string; raw?: string };
  };
}

interface SpecDocument {
  paths: Record<
    string,
    Record<
      string,
      { requestBody?: { content?: Record<string, { examples?: Record<string, { $ref?: string; value?: unknown }> }> } }
    >
  >;
  components: { examples?: Record<string, { value?: unknown }> };
}

/** The first named example of an operation's JSON request body, if it has one. */
function requestExample(spec: SpecDocument, operationId: OperationId): unknown {
  const { path: route, method } = operations[operationId];
  const examples = spec.paths[route]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']?.examples;
  const [first] = Object.values(examples ?? {});
  if (!first) return undefined;
  const name = first.$ref?.replace('#/components/examples/', '');
  return name ? spec.components.examples?.[name]?.value : first.value;
}
export interface PostmanCollection {
  info: Record<string, unknown>;
  item: PostmanItem[];
  auth?: unknown;
  variable?: Array<{ key: string; value: string; type?: string }>;
  [key: string]: unknown;
}

const operationIds = Object.keys(operations) as OperationId[];
const depth = (operationId: OperationId) => operations[operationId].path.split('/').length;

/**
 * The order a run calls the operations in, from the spec: the creates (POST) first, parents before
 * children; then the reads and changes in spec order; the deletes last, children before parents.
 */
function runRank(operationId: OperationId): number[] {
  const { method } = operations[operationId];
  const index = operationIds.indexOf(operationId);
  if (method === 'POST') return [0, depth(operationId), index];
  if (method === 'DELETE') return [2, -depth(operationId), -index];
  return [1, 0, index];
}

const byRunOrder = (a: OperationId, b: OperationId) => {
  const [rankA, rankB] = [runRank(a), runRank(b)];
  const differs = rankA.findIndex((value, position) => value !== rankB[position]);
  return differs === -1 ? 0 : (rankA[differs] ?? 0) - (rankB[differs] ?? 0);
};

/** `taskId` → `taskEtag`: the collection variable holding the ETag of what the id names. */
const etagVariable = (idParameter: string) => idParameter.replace(/Id$/, 'Etag');
const created = new Map(creatingOperations().map(({ operationId, parameter }) => [operationId, parameter]));
/** The id parameter of what an operation's path addresses (`/tasks/{taskId}` → taskId), if any. */
const addressed = (operationId: OperationId) => /\{([^}]+)\}$/.exec(operations[operationId].path)?.[1];

/**
 * What a request's test script keeps for the requests after it: the id a create answers, and the
 * ETag of what it created or addressed.
 */
function keeps(operationId: OperationId): string[] {
  const id = created.get(operationId);
  const subject = id ?? addressed(operationId);
  return [
    ...(id ? [`pm.collectionVariables.set('${id}', pm.response.json().id);`] : []),
    ...(subject && (operationResponses[operationId].responseHeaders as readonly string[]).includes('ETag')
      ? [`pm.collectionVariables.set('${etagVariable(subject)}', pm.response.headers.get('ETag'));`]
      : []),
  ];
}

const operationOf = (item: PostmanItem): OperationId => {
  const route = `/${item.request.url.path.map((segment) => segment.replace(/^:(.+)$/, '{$1}')).join('/')}`;
  const found = (Object.keys(operations) as OperationId[]).find(
    (id) => operations[id].path === route && operations[id].method === item.request.method,
  );
  if (!found) throw new Error(`The converter made a request no operation matches: ${item.request.method} ${route}`);
  return found;
};

/** Converts the spec with openapi-to-postmanv2 and makes the result runnable in order. */
export async function buildCollection(): Promise<PostmanCollection> {
  const converter = createRequire(import.meta.url)('openapi-to-postmanv2') as {
    convert(
      input: { type: 'string'; data: string },
      options: Record<string, unknown>,
      done: (
        error: Error | null,
        result: { result: boolean; reason?: string; output: Array<{ data: unknown }> },
      ) => void,
    ): void;
  };
  const converted = await new Promise<PostmanCollection>((resolve, reject) =>
    converter.convert(
      { type: 'string', data: readFileSync(specFile, 'utf8') },
      { folderStrategy: 'Tags', parametersResolution: 'Example' },
      (error, result) => {
        if (error || !result.result) reject(error ?? new Error(result.reason));
        else resolve(result.output[0]?.data as PostmanCollection);
      },
    ),
  );
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as SpecDocument;
  const requests = converted.item.flatMap((folder) => folder.item ?? [folder]);
  const items = requests
    .map((item) => ({ item, operationId: operationOf(item) }))
    .sort((a, b) => byRunOrder(a.operationId, b.operationId))
    .map(({ item, operationId }) => {
      for (const variable of item.request.url.variable ?? []) variable.value = `{{${variable.key}}}`;
      for (const header of item.request.header ?? []) {
        if (header.key === 'Idempotency-Key') header.value = '{{$guid}}';
        const subject = addressed(operationId);
        if (header.key === 'If-Match' && subject) header.value = `{{${etagVariable(subject)}}}`;
      }
      // The converter fakes bodies from the schema (`"<string>"`); send the spec's named example instead.
      const example = requestExample(spec, operationId);
      if (example !== undefined && item.request.body) item.request.body.raw = JSON.stringify(example, null, 2);
      // Optional query parameters stay in the request, switched off, to show they exist.
      for (const query of item.request.url.query ?? []) query.disabled = true;
      const keep = keeps(operationId);
      return {
        ...item,
        name: `${operationId}: ${item.name}`,
        event: [
          {
            listen: 'test' as const,
            script: {
              type: 'text/javascript',
              exec: [
                `pm.test('${operationId} answers a documented success status', () => pm.expect([${operationResponses[operationId].successStatuses.join(', ')}]).to.include(pm.response.code));`,
                ...(keep.length > 0 ? ['if (pm.response.code < 300) {', ...keep.map((line) => `  ${line}`), '}'] : []),
              ],
            },
          },
        ],
      };
    });
  return {
    ...converted,
    item: items,
    auth: postmanSignIn,
    variable: [],
  };
}

/**
 * The collection's authorization: Postman's own OAuth 2.0 helper, set up for the authorization code
 * grant with PKCE against the environment's sign-in (the local one, or the deployed pool's managed
 * login) and sending the ID token, which is what the API's Cognito authorizer takes. "Get New Access
 * Token" signs in in the browser; the current token is `{{token}}`, so a pasted token (or
 * `npm run -s token`) still works, and newman sends it as `Authorization: Bearer`.
 */
export const postmanSignIn = {
  type: 'oauth2',
  oauth2: [
    { key: 'accessToken', value: '{{token}}', type: 'string' },
    { key: 'tokenType', value: 'id_token', type: 'string' },
    { key: 'addTokenTo', value: 'header', type: 'string' },
    { key: 'headerPrefix', value: 'Bearer', type: 'string' },
    { key: 'grant_type', value: 'authorization_code_with_pkce', type: 'string' },
    { key: 'challengeAlgorithm', value: 'S256', type: 'string' },
    { key: 'authUrl', value: '{{authUrl}}', type: 'string' },
    { key: 'accessTokenUrl', value: '{{accessTokenUrl}}', type: 'string' },
    { key: 'clientId', value: '{{clientId}}', type: 'string' },
    { key: 'scope', value: appScope, type: 'string' },
    { key: 'redirect_uri', value: postmanCallbackUrl, type: 'string' },
    { key: 'useBrowser', value: true, type: 'boolean' },
    { key: 'client_authentication', value: 'body', type: 'string' },
    { key: 'tokenName', value: 'Taskboard ID token', type: 'string' },
  ],
} as const;

/** Where Postman's OAuth 2.0 helper signs in: the sign-in's (or the hosted UI's) origin and the app client. */
export interface PostmanSignInTarget {
  /** `http://localhost:3001` or `https://<prefix>.auth.<region>.amazoncognito.com`. */
  origin: string;
  clientId: string;
}

export interface PostmanEnvironment {
  name: string;
  values: Array<{ key: string; value: string; type: 'default' | 'secret'; enabled: true }>;
}

export function environment(
  name: string,
  baseUrl: string,
  token: string,
  signIn?: PostmanSignInTarget,
): PostmanEnvironment {
  return {
    name,
    values: [
      { key: 'baseUrl', value: baseUrl, type: 'default', enabled: true },
      { key: 'token', value: token, type: 'secret', enabled: true },
      ...(signIn
        ? ([
            { key: 'authUrl', value: `${signIn.origin}/oauth2/authorize`, type: 'default', enabled: true },
            { key: 'accessTokenUrl', value: `${signIn.origin}/oauth2/token`, type: 'default', enabled: true },
            { key: 'clientId', value: signIn.clientId, type: 'default', enabled: true },
          ] as const)
        : []),
    ],
  };
}

/** The deployed stack's public URL, hosted UI and SPA client, from `npm run deploy`'s cdk-outputs.json. */
function deployedOutputs(): { url: string; signIn: PostmanSignInTarget } | undefined {
  const file = path.join(root, 'cdk-outputs.json');
  if (!existsSync(file)) return undefined;
  const outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const stack = Object.values(outputs).find((candidate) => candidate.CloudFrontUrl);
  if (!stack?.CloudFrontUrl) return undefined;
  return {
    url: stack.CloudFrontUrl.replace(/\/+$/, ''),
    signIn: {
      origin: (stack.HostedUiDomain ?? '').replace(/\/+$/, ''),
      clientId: stack.UserPoolClientId ?? '',
    },
  };
}

async function main(): Promise<void> {
  mkdirSync(postmanDir, { recursive: true });
  const write = (file: string, value: unknown) => {
    writeFileSync(path.join(postmanDir, file), `${JSON.stringify(value, null, 2)}\n`);
    console.log(`  wrote postman/${file}`);
  };
  write('taskboard.postman_collection.json', await buildCollection());
  const localToken = issueIdToken(postmanEmail, { groups: ['admin'] }, loadLocalKeySet());
  const settings = localSettings();
  write(
    'local.postman_environment.json',
    environment('Taskboard local', `http://localhost:${settings.httpPort}`, localToken, {
      origin: `http://localhost:${settings.signInPort}`,
      clientId: localPool.clientId,
    }),
  );
  const deployed = deployedOutputs();
  write(
    'deployed.postman_environment.json',
    environment('Taskboard deployed', deployed?.url ?? 'https://<CloudFrontUrl from cdk-outputs.json>', '', {
      origin: deployed?.signIn.origin ?? 'https://<HostedUiDomain from cdk-outputs.json>',
      clientId: deployed?.signIn.clientId ?? '<UserPoolClientId from cdk-outputs.json>',
    }),
  );
  if (!deployed) console.log('  (no cdk-outputs.json: run npm run deploy, then npm run postman again)');
  console.log(`Import them in Postman and pick an environment. The collection's Authorization tab signs in with
Postman's OAuth 2.0 helper ("Get New Access Token": code with PKCE, the ID token is used) against the local
sign-in (npm start) or the deployed pool's hosted UI. The local environment also carries a ready token;
to paste one instead: npm run -s token -- bob@example.com (or -- --deployed <email>).`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

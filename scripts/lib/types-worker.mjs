// Runs openapi-typescript in a worker thread, so that loading it (and the TypeScript compiler it
// needs) overlaps with Redocly's lint and bundle on the main thread. Used by scripts/generate.ts.
import { parentPort } from 'node:worker_threads';
import openapiTS, { astToString } from 'openapi-typescript';

parentPort.once('message', async (document) => {
  try {
    const ast = await openapiTS(document, {
      alphabetize: false,
      immutable: false,
      // A field with a default is optional in a request (the server fills it in); responses list their fields as required.
      defaultNonNullable: false,
    });
    parentPort.postMessage({ source: astToString(ast) });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});

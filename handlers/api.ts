/** The API function's Lambda entry: every operation of the spec, behind API Gateway's proxy integration. */
import { createApiHandler } from '#runtime/api-handler.ts';
import { operationHandlers } from './operation-handlers.ts';

export const handler = createApiHandler({ handlers: operationHandlers });

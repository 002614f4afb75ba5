/**
 * Types for per-operation lists in tests and scripts, so that tsc names an operation a list misses
 * when the spec gains one: key maps by `OperationId` (`{ [Op in OperationId]: … }`), or check a
 * list's operationIds with `CoversEveryOperation`.
 */
import { type OperationId, operations } from '../../generated/operations.ts';

/** The operations that need a Cognito ID token. */
export type SecuredOperationId = {
  [Op in OperationId]: (typeof operations)[Op]['secured'] extends true ? Op : never;
}[OperationId];

/** The operations with a JSON request body. */
export type OperationWithBody = {
  [Op in OperationId]: (typeof operations)[Op]['hasBody'] extends true ? Op : never;
}[OperationId];

/**
 * `true` when `Listed` names every operation; otherwise a type naming the missing ones, so that
 * `const covered: CoversEveryOperation<(typeof list)[number]['operationId']> = true;` fails to
 * compile with `missingOperations: "theNewOne"` in the message.
 */
export type CoversEveryOperation<Listed extends OperationId> = [Exclude<OperationId, Listed>] extends [never]
  ? true
  : { missingOperations: Exclude<OperationId, Listed> };

/** Every operation id, in spec order. */
export const operationIds = Object.keys(operations) as OperationId[];

export const securedOperationIds = operationIds.filter((id): id is SecuredOperationId => operations[id].secured);

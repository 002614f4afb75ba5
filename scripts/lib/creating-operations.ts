/**
 * Which operation creates what: the resources behind the spec's path parameters, derived from the
 * generated operations map, so a new resource needs no list kept by hand (Postman's collection
 * chains its requests by it; the spec-derived checks create one of each by it).
 */
import { type OperationId, operations } from '../../generated/operations.ts';

/**
 * What creates the resource each path parameter names, parents first: the POST on the collection
 * whose item path ends in that parameter (POST /tasks creates a `taskId`, POST /users a `userId`).
 */
export function creatingOperations(): Array<{ parameter: string; operationId: OperationId }> {
  const ids = Object.keys(operations) as OperationId[];
  return ids
    .filter((operationId) => operations[operationId].method === 'POST')
    .flatMap((operationId) => {
      const collection = operations[operationId].path;
      const item = ids
        .map((id) => operations[id].path)
        .find((route) => route.startsWith(`${collection}/{`) && /^\/\{[^}/]+\}$/.test(route.slice(collection.length)));
      return item ? [{ parameter: item.slice(collection.length + 2, -1), operationId }] : [];
    })
    .sort(
      (a, b) => operations[a.operationId].path.split('/').length - operations[b.operationId].path.split('/').length,
    );
}

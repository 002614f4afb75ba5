import { useQuery } from '@tanstack/react-query';
import { ApiError, type User } from '../api/api.ts';
import { useApi } from '../api/context.tsx';
import { meKey, type Tagged, tagged } from '../api/tagged.ts';

/**
 * The signed-in caller's profile with its ETag. The first sign-in registers the caller
 * (registerUser) without asking: getCurrentUser answers 403 until then.
 */
export function useMe() {
  const { client } = useApi();
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<Tagged<User>> => {
      try {
        return tagged(await client.GET('/users/me'));
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 403)) throw error;
        return tagged(await client.POST('/users', { params: { header: { 'Idempotency-Key': crypto.randomUUID() } } }));
      }
    },
  });
}

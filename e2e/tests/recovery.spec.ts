import { expect, test } from '@playwright/test';
import { PASSWORD, openApp, readMail, registerViaApi, signIn } from './helpers';

test('a patient who forgot their password resets it from the email and signs in', async ({
  page,
  request,
}) => {
  const email = await registerViaApi(request, 'PATIENT', 'Rosa Reset');
  await openApp(page, '/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByText('If an account exists for that address')).toBeVisible();

  const mail = await readMail(email, 'Reset your MediConnect password');
  const link = mail.text.match(/https?:\/\/\S+\/reset-password#token=[\w-]+/)?.[0];
  expect(link, mail.text).toBeTruthy();
  await page.goto(link!);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  // The token is taken out of the address bar once read.
  await expect(page).toHaveURL(/\/reset-password$/);

  const fresh = 'a brand new passphrase';
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('New password, again').fill('something else');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.getByText('The two passwords are not the same')).toBeVisible();
  await page.getByLabel('New password, again').fill(fresh);
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.getByText('Your password is set')).toBeVisible();

  // The old password is refused; the new one signs in.
  const old = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect(old.status()).toBe(401);
  await page.getByRole('link', { name: 'Sign in', exact: true }).last().click();
  await signIn(page, email, fresh);

  // The owner is told, and the link does not work twice.
  await readMail(email, 'Your MediConnect password was changed');
  await page.goto('about:blank');
  await page.goto(link!);
  await page.getByLabel('New password', { exact: true }).fill('yet another passphrase');
  await page.getByLabel('New password, again').fill('yet another passphrase');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.getByText('This link is no longer valid')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Ask for a new link' })).toBeVisible();
});

test('an admin sends a user a password link from the user list', async ({ page, request }) => {
  const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@e2e.mediconnect.test';
  const adminPassword = process.env.ADMIN_PASSWORD ?? 'e2e admin password';
  const name = `Locked Out ${Math.floor(Math.random() * 1e9)}`;
  const email = await registerViaApi(request, 'PATIENT', name);
  await signIn(page, adminEmail, adminPassword);
  await page.goto('/admin');
  await page.getByLabel('Search by name or email').fill(email);
  const row = page.locator('[data-test="user-row"]', { hasText: email });
  // The search has settled: the list is that one user (the newest user may be listed
  // before it, then redrawn under an open dialog).
  await expect(page.locator('[data-test="user-row"]')).toHaveCount(1);
  await expect(row).toHaveCount(1);
  await row.getByRole('button', { name: `Send ${name} a password link` }).click();
  await page
    .getByRole('dialog', { name: `Send ${name} a password link?` })
    .getByRole('button', { name: 'Send the link' })
    .click();
  await expect(row.getByRole('status')).toHaveText('Link sent to their address.');
  const mail = await readMail(email, 'Reset your MediConnect password');
  expect(mail.text).toMatch(/\/reset-password#token=[\w-]+/);
  // The admin never sees a password or the link.
  await expect(page.getByText(/reset-password#token/)).toHaveCount(0);
});

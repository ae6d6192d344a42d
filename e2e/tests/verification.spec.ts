import { expect, test } from '@playwright/test';
import {
  PASSWORD,
  confirmationLink,
  openApp,
  readMail,
  registerPatient,
  registerViaApi,
  signIn,
  uniqueEmail,
} from './helpers';

test('a new patient confirms their address from the email, after asking for a new link', async ({
  page,
}) => {
  const email = uniqueEmail('confirm');
  await registerPatient(page, 'Cora Confirm', email);
  const banner = page.getByRole('complementary', { name: 'Confirm your email address' });
  await expect(banner).toContainText(`We sent a link to ${email}`);
  await expect(banner).toContainText('you cannot book appointments or get alerts');
  await expect(page.getByText('Not confirmed yet')).toBeVisible();
  const first = await confirmationLink(email);

  // A new link voids the first.
  await banner.getByRole('button', { name: 'Send a new link' }).click();
  await expect(banner.getByRole('status')).toContainText(`We sent a new link to ${email}`);
  let second = first;
  await expect(async () => {
    second = await confirmationLink(email);
    expect(second).not.toBe(first);
  }).toPass({ timeout: 15_000 });

  await page.goto(first);
  await expect(page.getByText('This link is no longer valid')).toBeVisible();
  await page.goto(second);
  await expect(page.getByRole('status').filter({ hasText: 'confirmed' })).toHaveText(
    'Your email address is confirmed. Thank you.',
  );
  // The token is taken out of the address bar once read.
  await expect(page).toHaveURL(/\/verify-email$/);
  await expect(page.getByRole('link', { name: 'Find a doctor' })).toBeVisible();
  await expect(banner).toHaveCount(0);
  await page.goto('/profile');
  await expect(page.getByText('Confirmed', { exact: true })).toBeVisible();
  await expect(banner).toHaveCount(0);
});

test('a patient changes their address: the old one is told, the new one confirmed', async ({
  page,
  request,
}) => {
  const email = await registerViaApi(request, 'PATIENT', 'Moe Moving');
  await signIn(page, email, PASSWORD);
  await openApp(page, '/profile');
  await expect(page.getByText('Confirmed', { exact: true })).toBeVisible();
  const fresh = uniqueEmail('moved');

  const section = page.getByRole('region', { name: 'Change email address' });
  await section.getByLabel('New email address').fill(fresh);
  await section.getByLabel('Current password').fill('not the password');
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page.getByText('The current password is not correct')).toBeVisible();

  await section.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page.getByText(`Your address is now ${fresh}.`)).toBeVisible();
  await expect(page.locator('[data-test="profile-email"]')).toHaveText(fresh);
  await expect(page.getByText('Not confirmed yet')).toBeVisible();
  const banner = page.getByRole('complementary', { name: 'Confirm your email address' });
  await expect(banner).toContainText(`We sent a link to ${fresh}`);

  const notice = await readMail(email, 'Your MediConnect email address was changed');
  expect(notice.text).toContain('m***@example.com');
  expect(notice.text).not.toContain(fresh);

  await page.goto(await confirmationLink(fresh));
  await expect(page.getByText('Your email address is confirmed.')).toBeVisible();
  await expect(banner).toHaveCount(0);
});

test('a confirmation link works on a device that is not signed in', async ({
  page,
  request,
}) => {
  const email = await registerViaApi(request, 'DOCTOR', 'Dr. Elsewhere', 'Neurology', false);
  await openApp(page, '/');
  await page.goto(await confirmationLink(email));
  await expect(page.getByText('Your email address is confirmed.')).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Sign in' })).toBeVisible();
  // And the doctor may now go online.
  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect((await login.json()).user.emailVerified).toBe(true);
});

import { expect, test } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, readMail, signIn, uniqueEmail } from './helpers';

test('an admin invites a doctor, who chooses a password and can go online at once', async ({
  browser,
}) => {
  const name = `Dr. Invited ${Math.floor(Math.random() * 1e9)}`;
  const email = uniqueEmail('invited');
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await admin.getByRole('link', { name: 'Admin', exact: true }).click();
  const section = admin.getByRole('region', { name: 'Invite a doctor or an administrator' });
  await section.getByLabel('Doctor').check();
  await section.getByLabel('Their full name').fill(name);
  await section.getByLabel('Their email address').fill(email);
  await section.getByLabel('Specialization').fill('Oncology');
  await section.getByRole('button', { name: 'Send the invitation' }).click();
  await expect(section.getByRole('status')).toHaveText(`Invitation sent to ${email}.`);
  await expect(section.locator('[data-test="invitation"]', { hasText: name })).toBeVisible();

  const mail = await readMail(email, 'invites you to MediConnect');
  const link = mail.text.match(/https?:\/\/\S+\/accept-invitation#token=[\w-]+/)?.[0];
  expect(link, mail.text).toBeTruthy();
  const doctor = await (await browser.newContext()).newPage();
  await doctor.goto(link!);
  await expect(doctor.getByRole('heading', { name: 'Accept your invitation' })).toBeVisible();
  await expect(doctor).toHaveURL(/\/accept-invitation$/);
  await doctor.getByLabel('Password', { exact: true }).fill('an invited doctor password');
  await doctor.getByLabel('Password, again').fill('an invited doctor password');
  await doctor.getByRole('button', { name: 'Create my account' }).click();
  const toggle = doctor.getByRole('switch', { name: 'Available to patients' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  // No reminder to confirm: the invitation's link did.
  await expect(
    doctor.getByRole('complementary', { name: 'Confirm your email address' }),
  ).toHaveCount(0);

  // The invitation is used: gone from the list, and its link refused.
  await admin.reload();
  await expect(admin.locator('[data-test="invitation"]', { hasText: name })).toHaveCount(0);
  const again = await (await browser.newContext()).newPage();
  await again.goto(link!);
  await again.getByLabel('Password', { exact: true }).fill('another password here');
  await again.getByLabel('Password, again').fill('another password here');
  await again.getByRole('button', { name: 'Create my account' }).click();
  await expect(again.getByText('This invitation is no longer valid')).toBeVisible();
});

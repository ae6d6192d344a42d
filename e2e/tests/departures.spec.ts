import { expect, test } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bookedPair, readMail, signIn } from './helpers';

test("deactivating a doctor with a booking says how many first, then cancels it and tells the " +
  'patient why', async ({ page, request }) => {
  const tag = Math.floor(Math.random() * 1e9);
  const doctorName = `Dr. Departing ${tag}`;
  const { doctorEmail, patientEmail, token } = await bookedPair(
    request,
    doctorName,
    `Pat Departing ${tag}`,
    3,
    10,
  );

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto('/admin');
  await page.getByLabel('Search by name or email').fill(doctorEmail);
  const row = page.locator('[data-test="user-row"]', { hasText: doctorEmail });
  await expect(page.locator('[data-test="user-row"]')).toHaveCount(1);
  await row.getByRole('button', { name: `Deactivate ${doctorName}` }).click();
  await page
    .getByRole('dialog', { name: `Deactivate ${doctorName}?` })
    .getByRole('button', { name: 'Deactivate' })
    .click();

  // The server refused: the admin is told how many, and asked again.
  const dialog = page.getByRole('dialog', { name: `${doctorName} has 1 appointment ahead` });
  await expect(dialog).toBeVisible();
  await expect(row).toContainText('Active');
  const reason = dialog.getByLabel('Reason for the patients (optional)');
  await expect(reason).toBeFocused();
  await page.keyboard.type('The doctor has moved to another city.');
  await dialog.getByRole('button', { name: 'Cancel them and deactivate' }).click();
  await expect(row).toContainText('Deactivated');
  await expect(dialog).toBeHidden();

  const mail = await readMail(patientEmail, `Cancelled: your appointment with ${doctorName}`);
  expect(mail.text).toContain('The doctor has moved to another city.');
  const list = await (
    await request.get('/api/appointments', { headers: { Authorization: `Bearer ${token}` } })
  ).json();
  expect(list.appointments[0].status).toBe('CANCELLED');
});

test('a day off over a booking lists it, and the doctor may cancel it and save', async ({
  page,
  request,
}) => {
  const tag = Math.floor(Math.random() * 1e9);
  const doctorName = `Dr. Day Off ${tag}`;
  const { doctorEmail, patientEmail, start } = await bookedPair(
    request,
    doctorName,
    `Pat Day Off ${tag}`,
    5,
    12,
  );

  await signIn(page, doctorEmail);
  await page.getByRole('link', { name: 'Hours' }).click();
  await page.getByLabel('Time zone of these hours', { exact: true }).selectOption('UTC');
  await page.getByLabel('Date', { exact: true }).fill(start.toISOString().slice(0, 10));
  await page.getByRole('button', { name: 'Add day off' }).click();
  await page.getByRole('button', { name: 'Save hours' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('They leave 1 booked appointment outside your hours.');
  await expect(alert.getByRole('listitem')).toHaveCount(1);
  await alert.getByRole('button', { name: 'Cancel this appointment and save' }).click();
  await expect(page.getByText('Your hours are saved.')).toBeVisible();

  const mail = await readMail(patientEmail, `Cancelled: your appointment with ${doctorName}`);
  expect(mail.text).toContain('changed their working hours');
});

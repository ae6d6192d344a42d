import { expect, test } from '@playwright/test';
import { PASSWORD, confirmViaApi, registerViaApi, uniqueEmail } from './helpers';

test("each person sees times in their own zone, named, and chooses it from a list", async ({
  browser,
  request,
}) => {
  // A browser in Tokyo registers: the account takes the browser's zone.
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  const email = uniqueEmail('zoned');
  await page.goto('/register');
  await expect(page.locator('[data-test="register-zone"]')).toContainText(
    'Tokyo time (Asia/Tokyo)',
  );
  await page.getByLabel('Patient').check();
  await page.getByLabel('Full name').fill('Zoe Zoned');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator('[data-test="profile-zone"]')).toHaveText('Tokyo time (Asia/Tokyo)');
  await confirmViaApi(request, email);

  // An appointment at 09:00 UTC reads 18:00 in Tokyo, and the page says so.
  const doctorName = `Dr. Zone ${Math.floor(Math.random() * 1e9)}`;
  await registerViaApi(request, 'DOCTOR', doctorName, 'General Practice');
  const token = (
    await (await request.post('/api/auth/login', { data: { email, password: PASSWORD } })).json()
  ).token;
  const found = await (
    await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
  ).json();
  const start = new Date(Date.now() + 5 * 86_400_000);
  start.setUTCHours(9, 0, 0, 0);
  const booked = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${token}` },
    data: { doctorId: found.doctors[0].id, scheduledFor: start.toISOString() },
  });
  expect(booked.status()).toBe(201);
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  await expect(page.locator('[data-test="zone-note"]')).toContainText(
    'Times are in Tokyo time (Asia/Tokyo).',
  );
  await expect(
    page.locator('[data-test="appointment"]', { hasText: doctorName }),
  ).toContainText('18:00');

  // Changed in the profile, from a searchable list (not free text).
  await page.getByRole('link', { name: 'Profile' }).click();
  const zone = page.getByLabel('Time zone', { exact: true });
  await expect(zone).toHaveJSProperty('tagName', 'SELECT');
  await page.getByLabel('Search time zone').fill('new york');
  await expect(page.getByText('1 zone matches.')).toBeVisible();
  await expect(zone).toHaveValue('America/New_York');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Your profile is saved.')).toBeInViewport();
  await expect(page.locator('[data-test="profile-zone"]')).toHaveText(
    'New York time (America/New_York)',
  );
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  await expect(page.locator('[data-test="zone-note"]')).toContainText(
    'New York time (America/New_York)',
  );
  const ny = start.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'America/New_York',
  });
  await expect(
    page.locator('[data-test="appointment"]', { hasText: doctorName }),
  ).toContainText(ny);
  // A reload keeps it (the zone is the account's, not the tab's).
  await page.reload();
  await expect(
    page.locator('[data-test="appointment"]', { hasText: doctorName }),
  ).toContainText(ny);
  await context.close();
});

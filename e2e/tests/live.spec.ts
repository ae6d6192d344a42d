import { Browser, expect, test } from '@playwright/test';
import { openApp, registerViaApi, signIn } from './helpers';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

/** Signs a doctor in, in a browser context of their own, and switches them online. */
async function doctorOnline(browser: Browser, email: string) {
  const doctorContext = await browser.newContext();
  const doctor = await doctorContext.newPage();
  await signIn(doctor, email);
  const toggle = doctor.getByRole('switch', { name: 'Available to patients' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  return { doctorContext, toggle };
}

test('a patient sees a doctor come online and go offline without reloading', async ({
  browser,
  request,
}) => {
  const name = unique('Dr. Live');
  const doctorEmail = await registerViaApi(request, 'DOCTOR', name, 'Cardiology');
  const patientEmail = await registerViaApi(request, 'PATIENT', 'Pat Watcher');

  const doctorContext = await browser.newContext();
  const patientContext = await browser.newContext();
  const doctor = await doctorContext.newPage();
  const patient = await patientContext.newPage();

  await signIn(patient, patientEmail);
  await expect(patient.getByRole('heading', { name: 'Online now' })).toBeVisible();
  await expect(patient.locator('[data-test="connection"]')).toHaveText('Live');
  const card = patient.locator('[data-test="doctor-card"]', { hasText: name });
  await expect(card).toHaveCount(0);

  await signIn(doctor, doctorEmail);
  const toggle = doctor.getByRole('switch', { name: 'Available to patients' });
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');

  // Within 2 s, without a reload.
  await expect(card).toBeVisible({ timeout: 2_000 });
  await expect(card).toContainText('Cardiology');
  await expect(card).toContainText('Online now');
  await expect(
    patient.getByRole('status').filter({ hasText: `${name} is now online.` }),
  ).toHaveCount(1);

  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
  await expect(card).toHaveCount(0, { timeout: 2_000 });

  await doctorContext.close();
  await patientContext.close();
});

test('a doctor who closes the page goes offline after the grace period', async ({
  browser,
  request,
}) => {
  const name = unique('Dr. Laptop');
  const doctorEmail = await registerViaApi(request, 'DOCTOR', name, 'Dermatology');

  const watcherContext = await browser.newContext();
  const watcher = await watcherContext.newPage();
  await openApp(watcher, '/');
  await expect(watcher.locator('[data-test="connection"]')).toHaveText('Live');

  const { doctorContext } = await doctorOnline(browser, doctorEmail);
  const card = watcher.locator('[data-test="doctor-card"]', { hasText: name });
  await expect(card).toBeVisible({ timeout: 2_000 });

  // The doctor closes the laptop: no click, the page is simply gone.
  await doctorContext.close();
  // The server's test grace is 2 s.
  await expect(card).toHaveCount(0, { timeout: 8_000 });

  await watcherContext.close();
});

test('the doctor switch follows a change made on another device', async ({ browser, request }) => {
  const name = unique('Dr. Two Tabs');
  const email = await registerViaApi(request, 'DOCTOR', name, 'Neurology');
  const firstContext = await browser.newContext();
  const secondContext = await browser.newContext();
  const first = await firstContext.newPage();
  const second = await secondContext.newPage();
  await signIn(first, email);
  await signIn(second, email);
  const one = first.getByRole('switch', { name: 'Available to patients' });
  const two = second.getByRole('switch', { name: 'Available to patients' });
  await expect(two).toHaveAttribute('aria-checked', 'false');
  await one.click();
  await expect(two).toHaveAttribute('aria-checked', 'true', { timeout: 2_000 });
  await two.click();
  await expect(one).toHaveAttribute('aria-checked', 'false', { timeout: 2_000 });
  await firstContext.close();
  await secondContext.close();
});

test('all doctors are listed with their status and can be filtered', async ({ page, request }) => {
  const name = unique('Dr. Listed');
  const specialty = unique('Rare Specialty');
  await registerViaApi(request, 'DOCTOR', name, specialty);
  await openApp(page, '/doctors');
  await expect(page.getByRole('heading', { name: 'All doctors' })).toBeVisible();
  await page.getByLabel('Search by name').fill(name);
  const card = page.locator('[data-test="doctor-card"]', { hasText: name });
  await expect(card).toBeVisible();
  await expect(card).toContainText('Offline');
  await expect(card).toContainText('Not online yet');
  await page.getByLabel('Search by name').fill('');
  await page.getByLabel('Specialization').selectOption({ label: `${specialty} (1)` });
  await expect(page.locator('[data-test="doctor-card"]')).toHaveCount(1);
  await page.getByLabel('Status').selectOption('true');
  await expect(page.getByText('No doctor matches these filters.')).toBeVisible();
});

test("the online list's name search ignores case, accents included", async ({
  browser,
  request,
}) => {
  const name = unique('Dr. Élodie Ünal');
  const doctorEmail = await registerViaApi(request, 'DOCTOR', name, 'Neurology');
  const { doctorContext, toggle } = await doctorOnline(browser, doctorEmail);

  const watcherContext = await browser.newContext();
  const watcher = await watcherContext.newPage();
  await openApp(watcher, '/');
  const card = watcher.locator('[data-test="doctor-card"]', { hasText: name });
  await expect(card).toBeVisible();
  const search = watcher.getByLabel('Search by name');
  // Lower case throughout, É and Ü included: only a Unicode-aware comparison matches.
  await search.fill(name.replace('Dr. ', '').toLowerCase());
  await expect(card).toBeVisible();
  await expect(watcher.locator('[data-test="doctor-card"]')).toHaveCount(1);
  await search.fill('ÉLODIE ÜNAL NOBODY');
  await expect(watcher.getByText('No online doctor matches these filters.')).toBeVisible();

  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
  await doctorContext.close();
  await watcherContext.close();
});

test('the live badge sits in the header on every page that shows live data, and only ' +
  'there', async ({ page, request }) => {
  const patientEmail = await registerViaApi(request, 'PATIENT', 'Pat Badge');
  await signIn(page, patientEmail);
  const badge = page.getByRole('banner').locator('[data-test="connection"]');
  for (const [link, heading] of [
    ['Doctors', 'All doctors'],
    ['Appointments', 'Appointments'],
    ['MediConnect', 'Online now'],
  ]) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await expect(page.getByRole('heading', { name: heading }).first()).toBeVisible();
    await expect(badge).toHaveText('Live');
    // One badge, in the header: none left in the page itself.
    await expect(page.locator('[data-test="connection"]')).toHaveCount(1);
  }
  await page.getByRole('link', { name: 'Profile', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Your profile' })).toBeVisible();
  await expect(badge).toHaveCount(0);
});

test('a sighted patient sees a short notice when a doctor comes online, and can dismiss ' +
  'it', async ({ browser, request }) => {
  const name = unique('Dr. Noticed');
  const doctorEmail = await registerViaApi(request, 'DOCTOR', name, 'Cardiology');
  const patientEmail = await registerViaApi(request, 'PATIENT', 'Pat Sighted');
  const patient = await (await browser.newContext()).newPage();
  await signIn(patient, patientEmail);
  await expect(patient.locator('[data-test="connection"]')).toHaveText('Live');
  const notice = patient.locator('[data-test="live-notice"]');
  const dismiss = notice.getByRole('button', { name: 'Dismiss' });

  const { doctorContext } = await doctorOnline(browser, doctorEmail);
  await expect(notice).toHaveClass(/shown/);
  await expect(notice).toContainText(`${name} is now online.`);
  const box = await notice.boundingBox();
  expect(box && box.width > 100 && box.height > 20).toBe(true);
  await dismiss.click();
  await expect(notice).not.toHaveClass(/shown/);
  await expect(dismiss).toBeHidden();
  // Screen readers still have the text in the region.
  await expect(patient.locator('[data-test="announcer"]')).toHaveText(`${name} is now online.`);
  await doctorContext.close();
});

import AxeBuilder from '@axe-core/playwright';
import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { PASSWORD, openApp, registerViaApi, signIn } from './helpers';

const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@e2e.mediconnect.test';
const adminPassword = process.env.ADMIN_PASSWORD ?? 'e2e admin password';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

/** Fails on any serious or critical axe-core violation of the page as it is now. */
async function expectAccessible(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(', ')}`,
  );
  expect(summary, `accessibility of ${label}`).toEqual([]);
}

async function doctorOnlineWithHours(request: APIRequestContext, name: string) {
  const email = await registerViaApi(request, 'DOCTOR', name, 'Family Medicine');
  const { token } = await (
    await request.post('/api/auth/login', { data: { email, password: PASSWORD } })
  ).json();
  const headers = { Authorization: `Bearer ${token}` };
  const weekly = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
    weekday,
    start: '00:00',
    end: '24:00',
  }));
  expect(
    (
      await request.put('/api/doctors/me/schedule', {
        headers,
        data: { timeZone: 'UTC', slotMinutes: 30, weekly },
      })
    ).status(),
  ).toBe(200);
  expect(
    (await request.put('/api/doctors/status', { headers, data: { isOnline: true } })).status(),
  ).toBe(200);
  return email;
}

test('every page has no serious or critical accessibility violations', async ({
  page,
  request,
}) => {
  // Some twenty pages, each checked by axe: longer than one flow's 30 s on a busy
  // machine (it took 34 s once).
  test.setTimeout(90_000);
  // Visitors.
  for (const [path, heading] of [
    ['/', 'See which doctors are available right now'],
    ['/login', 'Sign in'],
    ['/register', 'Create your account'],
    ['/forgot-password', 'Forgot your password?'],
    ['/reset-password#token=an-example-token', 'Choose a new password'],
    ['/verify-email#token=an-example-token', 'Confirm your email address'],
    ['/accept-invitation#token=an-example-token', 'Accept your invitation'],
    ['/doctors', 'All doctors'],
    ['/nowhere', 'Page not found'],
  ]) {
    await openApp(page, path);
    await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
    await expectAccessible(page, path);
  }
  // A patient who has not confirmed their address yet: the reminder under the header.
  const unconfirmed = await registerViaApi(request, 'PATIENT', 'Una Confirmed', undefined, false);
  await signIn(page, unconfirmed);
  await expect(
    page.getByRole('complementary', { name: 'Confirm your email address' }),
  ).toBeVisible();
  await expectAccessible(page, 'unconfirmed patient');
  await page.getByRole('button', { name: 'Sign out' }).click();
  // A patient, with a doctor to book.
  const doctorName = unique('Dr. Axe');
  const doctorEmail = await doctorOnlineWithHours(request, doctorName);
  const patientEmail = await registerViaApi(request, 'PATIENT', 'Axel Patient');
  await signIn(page, patientEmail);
  await expect(page.getByRole('heading', { name: 'Find a doctor' })).toBeVisible();
  await expectAccessible(page, 'patient home');
  const card = page.locator('[data-test="doctor-card"]', { hasText: doctorName });
  await card.getByRole('button', { name: 'Book the next free slot' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await expect(page.locator('[data-test="next-slot"]')).toBeVisible();
  await expectAccessible(page, 'booking dialog');
  await page.locator('[data-test="next-slot"]').click();
  await page.locator('[data-test="confirm-booking"]').click();
  await expect(page.getByRole('dialog')).toBeHidden();
  for (const [link, heading] of [['Appointments', 'Appointments'], ['Profile', 'Your profile']]) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: /Loading/ })).toHaveCount(0);
    await expectAccessible(page, `patient ${link}`);
  }
  // The doctor's own page.
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  await page
    .locator('[data-test="appointment"]')
    .first()
    .getByRole('link', { name: doctorName })
    .click();
  await expect(page.getByRole('heading', { name: doctorName, level: 1 })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /Loading|Finding/ })).toHaveCount(0);
  await expectAccessible(page, 'doctor page');
  await page.getByRole('button', { name: 'Sign out' }).click();

  // The doctor.
  await signIn(page, doctorEmail);
  await expect(page.getByRole('switch', { name: 'Available to patients' })).toBeVisible();
  await expectAccessible(page, 'doctor home');
  for (const [link, heading] of [['Appointments', 'Appointments'], ['Hours', 'Working hours']]) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: /Loading/ })).toHaveCount(0);
    await expectAccessible(page, `doctor ${link}`);
  }
  await page.getByRole('button', { name: 'Sign out' }).click();

  // The admin.
  await signIn(page, adminEmail, adminPassword);
  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Clinic dashboard' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Registrations/ })).toBeVisible();
  await expect(page.locator('[data-test="user-table"]')).toBeVisible();
  await expectAccessible(page, 'admin dashboard');
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  await expect(page.getByRole('search', { name: 'Filter appointments' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /Loading/ })).toHaveCount(0);
  await expectAccessible(page, 'admin appointments');
});

test('on a phone: the header is one line with a menu, the first online doctor is above the fold, ' +
  'the booking button stays in view', async ({ browser, request }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 } });
  const page = await context.newPage();
  const doctorName = unique('Dr. Pocket');
  await doctorOnlineWithHours(request, doctorName);
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Pocket'));
  await signIn(page, patientEmail);
  // One line: the header is no taller than its Menu button and some padding.
  const header = await page.locator('.site-header').boundingBox();
  expect(header!.height).toBeLessThanOrEqual(64);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav).toBeHidden();
  const menu = page.getByRole('button', { name: 'Menu' });
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(nav.getByRole('link', { name: 'Appointments' })).toBeVisible();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Escape');
  await expect(nav).toBeHidden();
  await expect(menu).toBeFocused();
  // Following a link closes the menu.
  await menu.click();
  await nav.getByRole('link', { name: 'Profile', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Your profile', level: 1 })).toBeVisible();
  await expect(nav).toBeHidden();
  await page.getByRole('link', { name: 'MediConnect' }).click();
  // The first doctor online is in view without scrolling.
  const first = page.locator('[data-test="doctor-card"]').first();
  await expect(first).toBeVisible();
  await expect(first).toBeInViewport({ ratio: 1 });
  // The booking dialog's button is in view however long the dialog is.
  const card = page.locator('[data-test="doctor-card"]', { hasText: doctorName });
  await card.getByRole('button', { name: 'Book the next free slot' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('radio').first()).toBeVisible();
  await expect(dialog.locator('[data-test="confirm-booking"]')).toBeInViewport({ ratio: 1 });
  await dialog.locator('[data-test="next-slot"]').click();
  await expect(dialog.locator('[data-test="confirm-booking"]')).toBeInViewport({ ratio: 1 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
  await context.close();
});

test('with the keyboard alone: sign in, find an online doctor, book, cancel', async ({
  page,
  request,
}) => {
  const doctorName = unique('Dr. Keys');
  await doctorOnlineWithHours(request, doctorName);
  const email = await registerViaApi(request, 'PATIENT', 'Kim Keyboard');
  await openApp(page, '/login');

  // Tab to a control with this accessible name, checking focus is visible on it.
  async function tabTo(name: RegExp) {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return '';
        const label =
          el.getAttribute('aria-label') ||
          (el as HTMLInputElement).labels?.[0]?.textContent ||
          el.textContent ||
          '';
        return label.trim();
      });
      if (name.test(focused)) return;
    }
    throw new Error(`never reached ${name} with Tab`);
  }

  await tabTo(/^Email$/);
  await page.keyboard.type(email);
  await tabTo(/^Password$/);
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Find a doctor' })).toBeVisible();

  await tabTo(/^Search by name$/);
  await page.keyboard.type(doctorName);
  await tabTo(/^Book the next free slot$/);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toBeVisible();
  await tabTo(/^Next free time/);
  await page.keyboard.press('Enter');
  await tabTo(/^Book /);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Booked for' })).toBeVisible();

  await tabTo(/^Your appointments$/);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Appointments', level: 1 })).toBeVisible();
  const item = page.locator('[data-test="appointment"]', { hasText: doctorName });
  await expect(item).toContainText('Scheduled');
  await tabTo(/^Cancel$/);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog', { name: 'Cancel this appointment?' })).toBeVisible();
  await tabTo(/^Cancel appointment$/);
  await page.keyboard.press('Enter');
  await expect(item).toContainText('Cancelled');
});

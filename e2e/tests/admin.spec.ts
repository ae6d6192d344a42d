import { expect, test } from '@playwright/test';
import { PASSWORD, registerViaApi, signIn } from './helpers';

const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@e2e.mediconnect.test';
const adminPassword = process.env.ADMIN_PASSWORD ?? 'e2e admin password';

test('the admin sees the patient count rise after a registration, and deactivates a user', async ({
  page,
  request,
}) => {
  await signIn(page, adminEmail, adminPassword);
  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Clinic dashboard' })).toBeVisible();
  const patients = page.locator('[data-test="stat-patients"]');
  await expect(patients).toHaveText(/^\d+$/);
  const before = Number(await patients.textContent());

  const email = await registerViaApi(request, 'PATIENT', 'Newly Registered');
  await page.reload();
  await expect(patients).toHaveText(String(before + 1));

  // The charts have text alternatives.
  await expect(page.getByRole('img', { name: /Registrations/ })).toBeVisible();

  await page.getByLabel('Search by name or email').fill(email);
  const row = page.locator('[data-test="user-row"]', { hasText: email });
  // The search has settled: the list is that one user.
  await expect(page.locator('[data-test="user-row"]')).toHaveCount(1);
  await expect(row).toHaveCount(1);
  await row.getByRole('button', { name: 'Deactivate Newly Registered' }).click();
  await page
    .getByRole('dialog', { name: 'Deactivate Newly Registered?' })
    .getByRole('button', { name: 'Deactivate' })
    .click();
  await expect(row).toContainText('Deactivated');

  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status()).toBe(403);
});

test('on a phone, the user list needs no sideways scrolling to reach an action', async ({
  browser,
  request,
}) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  const name = `Phone Listed ${Math.floor(Math.random() * 1e9)}`;
  const email = await registerViaApi(request, 'PATIENT', name);
  await signIn(page, adminEmail, adminPassword);
  await page.goto('/admin');
  await page.getByLabel('Search by name or email').fill(email);
  const row = page.locator('[data-test="user-row"]', { hasText: email });
  // The search has settled: the list is that one user.
  await expect(page.locator('[data-test="user-row"]')).toHaveCount(1);
  await expect(row).toHaveCount(1);
  const button = row.getByRole('button', { name: `Deactivate ${name}` });
  const box = await button.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x + box!.width).toBeLessThanOrEqual(375);
  // Each value keeps its column's name beside it.
  const emailCell = row.locator('td[data-label="Email"]');
  await expect(emailCell).toHaveText(email);
  const cellBox = await emailCell.boundingBox();
  expect(cellBox!.x + cellBox!.width).toBeLessThanOrEqual(375);
  await context.close();
});

test('an admin is not offered to deactivate themselves', async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await page.goto('/admin');
  await page.getByLabel('Search by name or email').fill(adminEmail);
  const own = page.locator('[data-test="user-row"]', { hasText: adminEmail });
  await expect(own).toHaveCount(1);
  await expect(own).toContainText('You');
  await expect(own.getByRole('button')).toHaveCount(0);
});

test('a patient who opens the dashboard gets one page saying it is not for them', async ({
  page,
  request,
}) => {
  const email = await registerViaApi(request, 'PATIENT', 'Pat Curious');
  await signIn(page, email);
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'No access', level: 1 })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(1);
  await expect(page.getByRole('heading', { name: 'Clinic dashboard' })).toHaveCount(0);
});

test('the audit trail names people, filters by kind, follows admin actions, and records one ' +
  'search per query', async ({ page, request }) => {
  const name = `Audit Subject ${Math.floor(Math.random() * 1e9)}`;
  const email = await registerViaApi(request, 'PATIENT', name);
  const adminToken = (
    await (
      await request.post('/api/auth/login', {
        data: { email: adminEmail, password: adminPassword },
      })
    ).json()
  ).token;
  const searchesSince = async (since: number) => {
    const res = await request.get('/api/admin/audit?kind=admin&limit=100', {
      headers: { Authorization: `Bearer ${adminToken}` },
    });
    return (await res.json()).entries.filter(
      (e: { action: string; at: string }) =>
        e.action === 'admin.users.list' && Date.parse(e.at) >= since,
    ).length;
  };
  // A failed sign-in of the subject's account.
  expect(
    (
      await request.post('/api/auth/login', { data: { email, password: 'wrong password' } })
    ).status(),
  ).toBe(401);

  await signIn(page, adminEmail, adminPassword);
  await page.goto('/admin');
  const rows = page.locator('[data-test="audit-row"]');
  await expect(rows.first()).toBeVisible();
  await page.getByLabel('Show').selectOption('auth');
  await expect(
    rows.filter({ hasText: name }).filter({ hasText: 'auth.login.failed' }),
  ).toHaveCount(1);
  await expect(rows.first()).toContainText('someone');

  // Typing a search makes a search once the typing settles, not one per key.
  await expect(page.locator('[data-test="user-row"]').first()).toBeVisible();
  await page.waitForTimeout(500);
  const since = Date.now();
  await page.getByLabel('Search by name or email').pressSequentially(email, { delay: 40 });
  const row = page.locator('[data-test="user-row"]', { hasText: email });
  await expect(row).toHaveCount(1);
  await page.waitForTimeout(600);
  // One per settled query: one, or two if the typing paused (a busy machine), never
  // one per keystroke.
  const made = await searchesSince(since);
  expect(made).toBeGreaterThanOrEqual(1);
  expect(made).toBeLessThanOrEqual(2);
  expect(email.length).toBeGreaterThan(20);

  // An admin action shows in the trail at once, with the names of both.
  await page.getByLabel('Show').selectOption('admin');
  await row.getByRole('button', { name: `Deactivate ${name}` }).click();
  await page
    .getByRole('dialog', { name: `Deactivate ${name}?` })
    .getByRole('button', { name: 'Deactivate' })
    .click();
  await expect(
    rows.filter({ hasText: 'admin.user.deactivate' }).filter({ hasText: name }).first(),
  ).toContainText('E2E Admin (administrator)');
});

test("the admin's appointment list shows each patient and filters by doctor, patient, status and " +
  "date, in the address", async ({ page, request }) => {
  const tag = Math.floor(Math.random() * 1e9);
  const doctorName = `Dr. Ledger ${tag}`;
  await registerViaApi(request, 'DOCTOR', doctorName, 'General Practice');
  const found = await (
    await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
  ).json();
  const doctorId = found.doctors[0].id;
  const book = async (patient: string, days: number, reason: string) => {
    const email = await registerViaApi(request, 'PATIENT', patient);
    const token = (
      await (
        await request.post('/api/auth/login', { data: { email, password: PASSWORD } })
      ).json()
    ).token;
    const start = new Date(Date.now() + days * 86_400_000);
    start.setUTCHours(10, 0, 0, 0);
    const res = await request.post('/api/appointments', {
      headers: { Authorization: `Bearer ${token}` },
      data: { doctorId, scheduledFor: start.toISOString(), reason },
    });
    expect(res.status()).toBe(201);
    return { token, id: (await res.json()).id as string, start };
  };
  const ann = await book(`Ann Ledger ${tag}`, 3, 'Private one');
  const bob = await book(`Bob Ledger ${tag}`, 5, 'Private two');
  const cancel = await request.delete(`/api/appointments/${bob.id}`, {
    headers: { Authorization: `Bearer ${bob.token}` },
  });
  expect(cancel.status()).toBe(200);

  await signIn(page, adminEmail, adminPassword);
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  await page.getByLabel('Doctor', { exact: true }).fill(`ledger ${tag}`);
  const items = page.locator('[data-test="appointment"]');
  await expect(items).toHaveCount(2);
  await expect(items.first()).toContainText(`Patient: Bob Ledger ${tag}`);
  await expect(page.locator('.appointment-reason')).toHaveCount(0);
  await expect(page).toHaveURL(/doctor=ledger/);
  await page.getByLabel('Patient', { exact: true }).fill(`ann ledger ${tag}`);
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(`Patient: Ann Ledger ${tag}`);
  await page.getByLabel('Patient', { exact: true }).fill('');
  await page.getByLabel('Status', { exact: true }).selectOption('CANCELLED');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(`Bob Ledger ${tag}`);
  await page.getByLabel('Status', { exact: true }).selectOption('');
  const day = (d: Date) => d.toISOString().slice(0, 10);
  await page.getByLabel('From', { exact: true }).fill(day(ann.start));
  await page.getByLabel('To', { exact: true }).fill(day(ann.start));
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(`Ann Ledger ${tag}`);
  // A reload (or a shared link) keeps the filters.
  await page.reload();
  await expect(page.getByLabel('Doctor', { exact: true })).toHaveValue(`ledger ${tag}`);
  await expect(page.getByLabel('From', { exact: true })).toHaveValue(day(ann.start));
  await expect(items).toHaveCount(1);
  // The doctor's name leads to their page.
  await items.first().getByRole('link', { name: doctorName }).click();
  await expect(page.getByRole('heading', { name: doctorName, level: 1 })).toBeVisible();
  await page.goBack();
  await expect(items).toHaveCount(1);
});

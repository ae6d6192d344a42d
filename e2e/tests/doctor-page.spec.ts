import { expect, test } from '@playwright/test';
import { PASSWORD, openApp, registerViaApi, signIn } from './helpers';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

test("a doctor's page: who, live status, published hours, next free times, Book and Follow; " +
  "visitors are asked to sign in", async ({ browser, request }) => {
  const name = unique('Dr. Paged');
  const email = await registerViaApi(request, 'DOCTOR', name, 'Cardiology');
  const token = (
    await (await request.post('/api/auth/login', { data: { email, password: PASSWORD } })).json()
  ).token;
  const weekly = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));
  const hours = await request.put('/api/doctors/me/schedule', {
    headers: { Authorization: `Bearer ${token}` },
    data: { timeZone: 'Europe/Berlin', slotMinutes: 30, weekly, exceptions: [] },
  });
  expect(hours.status()).toBe(200);

  // A visitor finds the doctor in the list; the name leads to the page.
  const visitor = await (await browser.newContext()).newPage();
  await openApp(visitor, '/doctors');
  await visitor.getByLabel('Search by name').fill(name);
  const card = visitor.locator('[data-test="doctor-card"]', { hasText: name });
  await expect(card.getByRole('link', { name: 'Sign in to book' })).toBeVisible();
  await card.getByRole('link', { name }).click();
  await expect(visitor).toHaveURL(/\/doctors\/[0-9a-f-]{36}$/);
  const url = visitor.url();
  await expect(visitor.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(visitor.locator('[data-test="doctor-page"]')).toContainText('Cardiology');
  await expect(visitor.locator('[data-test="doctor-status"]')).toContainText('Offline');
  const table = visitor.locator('[data-test="hours"]');
  await expect(table).toContainText('Monday09:00–17:00');
  await expect(table).toContainText('SundayClosed');
  await expect(visitor.getByText('Berlin time (Europe/Berlin)')).toBeVisible();
  await expect(visitor.locator('[data-test="next-slots"] li')).toHaveCount(6);
  await expect(visitor.getByRole('button', { name: /^Book/ })).toHaveCount(0);
  // "Sign in to book" comes back here after signing in.
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Visitor'));
  await visitor.getByRole('link', { name: 'Sign in to book' }).click();
  await visitor.getByLabel('Email').fill(patientEmail);
  await visitor.getByLabel('Password').fill(PASSWORD);
  await visitor.getByRole('button', { name: 'Sign in' }).click();
  await expect(visitor).toHaveURL(url);
  await expect(visitor.getByRole('button', { name: `Follow ${name}` })).toBeVisible();
  await visitor.getByRole('button', { name: 'Book', exact: true }).click();
  await expect(visitor.getByRole('dialog', { name: `Book with ${name}` })).toBeVisible();
  await visitor.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  // The status is live: the doctor comes online, the page follows without a reload.
  const doctor = await (await browser.newContext()).newPage();
  await signIn(doctor, email);
  const toggle = doctor.getByRole('switch', { name: 'Available to patients' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  await expect(visitor.locator('[data-test="doctor-status"]')).toContainText('Online now');

  // An unknown doctor: the app's not-found answer, with HTTP 404 from the API.
  await openApp(visitor, '/doctors/00000000-0000-4000-8000-000000000000');
  await expect(visitor.getByRole('heading', { name: 'No such doctor' })).toBeVisible();
  const res = await request.get('/doctors/not-a-uuid');
  expect(res.status()).toBe(404);
  const page = await request.get(url.replace(/^https?:\/\/[^/]+/, ''));
  expect(page.status()).toBe(200);
});

test('the directory keeps its filters in the address: Back and a shared link show them', async ({
  page,
  request,
}) => {
  const name = unique('Dr. Filtered');
  const specialty = unique('Filter Specialty');
  await registerViaApi(request, 'DOCTOR', name, specialty);
  await openApp(page, '/doctors');
  await page.getByLabel('Specialization').selectOption({ label: `${specialty} (1)` });
  await page.getByLabel('Status').selectOption('false');
  await expect(page).toHaveURL(/specialization=/);
  await expect(page).toHaveURL(/online=false/);
  const card = page.locator('[data-test="doctor-card"]', { hasText: name });
  await card.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await page.goBack();
  await expect(page.getByLabel('Specialization')).toHaveValue(specialty);
  await expect(page.getByLabel('Status')).toHaveValue('false');
  await expect(page.locator('[data-test="doctor-card"]')).toHaveCount(1);
  // A shared link opens with the same filters.
  const shared = page.url();
  const other = await page.context().newPage();
  await other.goto(shared);
  await expect(other.getByLabel('Status')).toHaveValue('false');
  await expect(other.locator('[data-test="doctor-card"]', { hasText: name })).toBeVisible();
  await expect(other.locator('[data-test="doctor-card"]')).toHaveCount(1);
});

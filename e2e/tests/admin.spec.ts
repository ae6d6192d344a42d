import { expect, test } from '@playwright/test';
import { PASSWORD, registerViaApi, signIn } from './helpers';

const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@e2e.mediconnect.test';
const adminPassword = process.env.ADMIN_PASSWORD ?? 'e2e admin password';

test('the admin sees the patient count rise after a registration, and deactivates a user', async ({ page, request }) => {
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
  await expect(row).toHaveCount(1);
  await row.getByRole('button', { name: 'Deactivate Newly Registered' }).click();
  await page.getByRole('dialog', { name: 'Deactivate Newly Registered?' }).getByRole('button', { name: 'Deactivate' }).click();
  await expect(row).toContainText('Deactivated');

  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status()).toBe(403);
});

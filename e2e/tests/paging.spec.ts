import { expect, test } from '@playwright/test';
import { openApp, registerViaApi, signIn } from './helpers';

const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@e2e.mediconnect.test';
const adminPassword = process.env.ADMIN_PASSWORD ?? 'e2e admin password';

// One more than a page (20), all sharing a tag the searches can find.
const tag = `Paged${Math.floor(Math.random() * 1e9)}`;
const COUNT = 21;

test.beforeAll(async ({ request }) => {
  for (let i = 1; i <= COUNT; i++) {
    await registerViaApi(
      request,
      'DOCTOR',
      `Dr. ${tag} ${String(i).padStart(2, '0')}`,
      'Nephrology',
    );
  }
});

test('the directory pages through more doctors than fit on one page', async ({ page }) => {
  await openApp(page, '/doctors');
  await page.getByLabel('Search by name').fill(tag);
  const pager = page.getByRole('navigation', { name: 'Doctor pages' });
  const cards = page.locator('[data-test="doctor-card"]');
  await expect(pager).toContainText('Page 1 of 2 · 21 doctors');
  await expect(cards).toHaveCount(20);
  await expect(pager.getByRole('button', { name: 'Previous' })).toBeDisabled();

  await pager.getByRole('button', { name: 'Next' }).click();
  await expect(pager).toContainText('Page 2 of 2 · 21 doctors');
  await expect(cards).toHaveCount(1);
  await expect(pager.getByRole('button', { name: 'Next' })).toBeDisabled();

  await pager.getByRole('button', { name: 'Previous' }).click();
  await expect(pager).toContainText('Page 1 of 2');
  await expect(cards).toHaveCount(20);

  // A narrower search goes back to one page, and the count reads in the singular.
  await page.getByLabel('Search by name').fill(`${tag} 07`);
  await expect(pager).toContainText('Page 1 of 1 · 1 doctor');
  await expect(cards).toHaveCount(1);
});

test('the admin pages through the user list', async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await page.goto('/admin');
  await page.getByLabel('Search by name or email').fill(tag);
  const pager = page.getByRole('navigation', { name: 'User pages' });
  const rows = page.locator('[data-test="user-row"]');
  await expect(pager).toContainText('Page 1 of 2 · 21 users');
  await expect(rows).toHaveCount(20);
  await pager.getByRole('button', { name: 'Next' }).click();
  await expect(pager).toContainText('Page 2 of 2');
  await expect(rows).toHaveCount(1);
  await expect(pager.getByRole('button', { name: 'Next' })).toBeDisabled();
});

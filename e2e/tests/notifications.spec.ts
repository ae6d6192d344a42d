import { expect, test } from '@playwright/test';
import { registerViaApi, signIn } from './helpers';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

test('a patient follows a doctor, filters by followed doctors and limits alerts to them', async ({ page, request }) => {
  const name = unique('Dr. Followable');
  await registerViaApi(request, 'DOCTOR', name, 'Rheumatology');
  const email = await registerViaApi(request, 'PATIENT', 'Fran Follower');
  await signIn(page, email);

  // The alert email links to the directory with the doctor's name filled in.
  await page.goto(`/doctors?q=${encodeURIComponent(name)}`);
  const card = page.locator('[data-test="doctor-card"]', { hasText: name });
  await card.getByRole('button', { name: `Follow ${name}` }).click();
  await expect(card.getByRole('button', { name: `Unfollow ${name}` })).toHaveAttribute('aria-pressed', 'true');

  await page.getByLabel('Search by name').fill('');
  await page.getByLabel('Only doctors I follow').check();
  await expect(page.locator('[data-test="followed-doctors"] [data-test="doctor-card"]')).toHaveCount(1);
  await expect(page.locator('[data-test="followed-doctors"]')).toContainText(name);

  await page.getByRole('link', { name: 'Profile' }).click();
  await page.getByLabel('Only for doctors I follow').check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Your profile is saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Only for doctors I follow')).toBeChecked();
});

import { expect, test } from '@playwright/test';
import { PASSWORD, registerViaApi, signIn } from './helpers';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

test('a patient follows a doctor, filters by followed doctors and limits alerts to them', async ({
  page,
  request,
}) => {
  const name = unique('Dr. Followable');
  await registerViaApi(request, 'DOCTOR', name, 'Rheumatology');
  const email = await registerViaApi(request, 'PATIENT', 'Fran Follower');
  await signIn(page, email);

  // The alert email links to the directory with the doctor's name filled in.
  await page.goto(`/doctors?q=${encodeURIComponent(name)}`);
  const card = page.locator('[data-test="doctor-card"]', { hasText: name });
  await card.getByRole('button', { name: `Follow ${name}` }).click();
  await expect(card.getByRole('button', { name: `Unfollow ${name}` })).toHaveAttribute(
    'aria-pressed',
    'true',
  );

  await page.getByLabel('Search by name').fill('');
  await page.getByLabel('Only doctors I follow').check();
  await expect(
    page.locator('[data-test="followed-doctors"] [data-test="doctor-card"]'),
  ).toHaveCount(1);
  await expect(page.locator('[data-test="followed-doctors"]')).toContainText(name);

  await page.getByRole('link', { name: 'Profile' }).click();
  await page.getByLabel('Only for doctors I follow').check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Your profile is saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Only for doctors I follow')).toBeChecked();
});

test('saving other profile fields keeps an alert choice made elsewhere meanwhile', async ({
  page,
  request,
}) => {
  const email = await registerViaApi(request, 'PATIENT', 'Una Subscribed');
  await signIn(page, email);
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByLabel('For every doctor')).toBeChecked();

  // Meanwhile, from an email's unsubscribe link or another device: no alerts.
  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  const { token } = await login.json();
  const off = await request.put('/api/users/profile', {
    headers: { Authorization: `Bearer ${token}` },
    data: { notifications: { doctorOnline: 'off' } },
  });
  expect(off.status()).toBe(200);

  // The open form saves a phone number only; the choice made elsewhere stays.
  await page.getByLabel('Phone number').fill('+44 20 7946 0000');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Your profile is saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Never')).toBeChecked();
});

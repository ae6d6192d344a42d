import { expect, Page } from '@playwright/test';

export const PASSWORD = 'a long enough password';

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until the WebAssembly app has rendered its header. */
export async function openApp(page: Page, path = '/') {
  await page.goto(path);
  await expect(page.getByRole('link', { name: 'MediConnect' })).toBeVisible();
}

export async function registerPatient(page: Page, name: string, email: string) {
  await openApp(page, '/register');
  await page.getByLabel('Patient').check();
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/profile$/);
}

/** Fills in and submits the sign-in form, without waiting for the outcome. */
export async function submitSignIn(page: Page, email: string, password = PASSWORD) {
  await openApp(page, '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Signs in and waits until the app shows the signed-in header, so the session cookie
 * is stored before the test navigates away (a `goto` right after the click can cancel
 * the login request).
 */
export async function signIn(page: Page, email: string, password = PASSWORD) {
  await submitSignIn(page, email, password);
  // Attached rather than visible: on a phone it is inside the closed menu.
  await expect(page.getByRole('button', { name: 'Sign out', includeHidden: true })).toBeAttached();
}

/** Follows a link of the main navigation, opening the menu first on a phone. */
export async function goTo(page: Page, name: string) {
  const menu = page.getByRole('button', { name: 'Menu' });
  if (await menu.isVisible()) {
    await menu.click();
  }
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name, exact: true })
    .click();
}

/** Registers an account through the API (faster than the form) and returns its email. */
export async function registerViaApi(
  request: import('@playwright/test').APIRequestContext,
  role: 'DOCTOR' | 'PATIENT',
  name: string,
  specialization?: string,
): Promise<string> {
  const email = uniqueEmail(role.toLowerCase());
  const res = await request.post('/api/auth/register', {
    data: { name, email, password: PASSWORD, role, specialization },
  });
  expect(res.status()).toBe(201);
  return email;
}

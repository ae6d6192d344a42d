import { test, expect, Page } from '@playwright/test';
import { PASSWORD, openApp, registerPatient, uniqueEmail } from './helpers';

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });
const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

test('links change the page without reloading the app, and Back and Forward follow them', async ({
  page,
}) => {
  await openApp(page, '/');
  await expect(heading(page, 'See which doctors are available right now')).toBeVisible();
  // Survives only as long as the page is not loaded again.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

  await nav(page).getByRole('link', { name: 'Doctors' }).click();
  await expect(page).toHaveURL(/\/doctors$/);
  await expect(heading(page, 'All doctors')).toBeVisible();
  await expect(nav(page).getByRole('link', { name: 'Doctors' })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await expect(nav(page).getByRole('link', { name: 'Sign in' })).not.toHaveAttribute(
    'aria-current',
  );
  // Each page has its own title, and the next Tab starts at the new page.
  await expect(page).toHaveTitle('All doctors · MediConnect');
  await expect(page.locator('#main')).toBeFocused();

  await nav(page).getByRole('link', { name: 'Sign in' }).click();
  await expect(heading(page, 'Sign in')).toBeVisible();
  await expect(nav(page).getByRole('link', { name: 'Sign in' })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await expect(nav(page).getByRole('link', { name: 'Doctors' })).not.toHaveAttribute(
    'aria-current',
  );

  await page.goBack();
  await expect(page).toHaveURL(/\/doctors$/);
  await expect(heading(page, 'All doctors')).toBeVisible();
  await expect(page).toHaveTitle('All doctors · MediConnect');
  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(heading(page, 'See which doctors are available right now')).toBeVisible();
  await expect(page).toHaveTitle('MediConnect');
  await page.goForward();
  await expect(heading(page, 'All doctors')).toBeVisible();

  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
});

test('a link to the page shown adds no history entry', async ({ page }) => {
  await openApp(page, '/');
  await nav(page).getByRole('link', { name: 'Doctors' }).click();
  await expect(heading(page, 'All doctors')).toBeVisible();
  await nav(page).getByRole('link', { name: 'Doctors' }).click();
  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(heading(page, 'See which doctors are available right now')).toBeVisible();
});

test('a page that needs a sign-in is replaced in the history, so Back does not return to ' +
  'it', async ({ page }) => {
  await openApp(page, '/doctors');
  await openApp(page, '/profile');
  await expect(page).toHaveURL(/\/login\?next=%2Fprofile$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/doctors$/);
  await expect(heading(page, 'All doctors')).toBeVisible();
});

test('a link opened with a modifier key is left to the browser', async ({ page, context }) => {
  await openApp(page, '/');
  const [opened] = await Promise.all([
    context.waitForEvent('page'),
    nav(page).getByRole('link', { name: 'Doctors' }).click({ modifiers: ['Control'] }),
  ]);
  await expect(opened).toHaveURL(/\/doctors$/);
  await expect(page).toHaveURL(/\/$/);
  await expect(heading(page, 'See which doctors are available right now')).toBeVisible();
});

test('a link to a page shows it afresh, without the query it had', async ({ page }) => {
  await openApp(page, '/doctors?q=Nobody%20Here');
  await expect(page.getByLabel('Search by name')).toHaveValue('Nobody Here');
  await nav(page).getByRole('link', { name: 'Doctors' }).click();
  await expect(page).toHaveURL(/\/doctors$/);
  await expect(page.getByLabel('Search by name')).toHaveValue('');
  await page.goBack();
  await expect(page.getByLabel('Search by name')).toHaveValue('Nobody Here');
});

test('an address with a trailing slash shows its page', async ({ page }) => {
  await openApp(page, '/doctors/');
  await expect(heading(page, 'All doctors')).toBeVisible();
});

test('signing in replaces the form in the history, and never leaves the site', async ({
  page,
  baseURL,
}) => {
  const email = uniqueEmail('next');
  await registerPatient(page, 'Nex T', email);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(nav(page).getByRole('link', { name: 'Sign in' })).toBeVisible();

  // A backslash is a slash to browsers: "/\\evil.example" would be another site.
  await openApp(page, '/doctors');
  await openApp(page, '/login?next=%2F%5Cevil.example');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(page).toHaveURL(new URL('/', baseURL).href);

  // The sign-in form's entry was replaced: Back goes to the page before it.
  await page.goBack();
  await expect(page).toHaveURL(/\/doctors$/);
});

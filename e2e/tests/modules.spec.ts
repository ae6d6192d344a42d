import { expect, Page, test } from '@playwright/test';
import { openApp } from './helpers';

/** Records the page modules the browser fetches: every wasm file but the main one. */
function recordPageModules(page: Page): string[] {
  const fetched: string[] = [];
  page.on('request', (request) => {
    const name = new URL(request.url()).pathname.slice(1);
    if (name.endsWith('.wasm') && !name.startsWith('mediconnect-frontend-')) {
      fetched.push(name);
    }
  });
  return fetched;
}

const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

test("a visitor's first load fetches no page's module; a page's module comes when the page is " +
  "opened", async ({ page }) => {
  const fetched = recordPageModules(page);
  await openApp(page, '/');
  await expect(page.getByRole('heading', { name: 'Online now' })).toBeVisible();
  await expect(page.locator('[data-test="online-empty"], [data-test="online-list"]')).toBeVisible();
  expect(fetched).toEqual([]);

  await mainNav(page).getByRole('link', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  expect(fetched.some((name) => name.startsWith('split_login_page-'))).toBe(true);
  expect(fetched.some((name) => name.startsWith('split_admin_page-'))).toBe(false);
});

test('a page whose module cannot be fetched says so, and shows once tried again', async ({
  page,
}) => {
  let blocked = true;
  await page.route(/\/split_doctors_page-[0-9a-f]+\.wasm$/, (route) =>
    blocked ? route.abort() : route.continue(),
  );
  await openApp(page, '/');
  await mainNav(page).getByRole('link', { name: 'Doctors' }).click();
  await expect(page.getByRole('alert')).toContainText('This page could not be loaded');

  blocked = false;
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'All doctors' })).toBeVisible();
});

test('the modules and their loader are named after their content and cached for good', async ({
  page,
}) => {
  const loader = page.waitForResponse((r) => /\/__wasm_split-[0-9a-f]{16}\.js$/.test(r.url()));
  await openApp(page, '/');
  expect((await loader).headers()['cache-control']).toBe('public, max-age=31536000, immutable');

  const module = page.waitForResponse((r) =>
    /\/split_login_page-[0-9a-f]{16}\.wasm$/.test(r.url()),
  );
  await mainNav(page).getByRole('link', { name: 'Sign in' }).click();
  expect((await module).headers()['cache-control']).toBe('public, max-age=31536000, immutable');
});

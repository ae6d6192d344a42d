import { expect, test } from '@playwright/test';
import { bookedPair, signIn } from './helpers';

test('a patient subscribes to their calendar feed, then replaces the address',
  async ({ page, request, context }) => {
    const doctorName = `Dr. Feed ${Math.floor(Math.random() * 1e9)}`;
    const { patientEmail, start } = await bookedPair(request, doctorName, 'Pat Feed', 3, 10);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(page, patientEmail);
    await page.goto('/profile');
    const heading = page.getByRole('heading', { name: 'Calendar feed' });
    const card = page.locator('section', { has: heading });
    await expect(card.getByText('You have no calendar feed.')).toBeVisible();
    await card.getByRole('button', { name: 'Make a feed address' }).click();
    const address = card.getByLabel('Feed address');
    await expect(address).toHaveValue(/\/api\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
    const url = await address.inputValue();

    // Copied as it is; the feed holds the appointment with the doctor's name, no reason.
    await card.getByRole('button', { name: 'Copy address' }).click();
    await expect(card.getByRole('status')).toContainText('Copied.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await expect(card.getByRole('link', { name: 'Open in calendar app' }))
      .toHaveAttribute('href', url.replace(/^https?:/, 'webcal:'));
    const feed = await request.get(new URL(url).pathname);
    expect(feed.status()).toBe(200);
    expect(feed.headers()['content-type']).toBe('text/calendar; charset=utf-8');
    const text = await feed.text();
    expect(text).toContain(`SUMMARY:Appointment with ${doctorName} (General Practice)`);
    const stamp = start.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    expect(text).toContain(`DTSTART:${stamp}`);

    // The address survives a reload; a new one asks first, then kills the old.
    await page.reload();
    await expect(address).toHaveValue(url);
    await card.getByRole('button', { name: 'Make a new address' }).click();
    await expect(card.getByRole('alert')).toContainText('stops working at once');
    await card.getByRole('button', { name: 'Keep this one' }).click();
    await expect(address).toHaveValue(url);
    await card.getByRole('button', { name: 'Make a new address' }).click();
    await card.getByRole('alert').getByRole('button', { name: 'Make a new address' }).click();
    await expect(address).not.toHaveValue(url);
    expect((await request.get(new URL(url).pathname)).status()).toBe(404);

    // Keyboard: the address selects itself on focus; turning the feed off.
    await address.focus();
    expect(await address.evaluate((el: HTMLInputElement) => el.selectionEnd - el.selectionStart))
      .toBe((await address.inputValue()).length);
    await card.getByRole('button', { name: 'Turn the feed off' }).focus();
    await page.keyboard.press('Enter');
    await expect(card.getByText('You have no calendar feed.')).toBeVisible();
  });

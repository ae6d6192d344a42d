import { expect, test } from '@playwright/test';
import { bookedPair, readMail, registerViaApi, signIn, tokenFor } from './helpers';

test('a patient on the waitlist is offered a cancelled time live and books it',
  async ({ page, request }) => {
    const doctorName = `Dr. Waitlist ${Math.floor(Math.random() * 1e9)}`;
    const { doctorEmail, token: holderToken, start } =
      await bookedPair(request, doctorName, 'Holly Holder', 3, 10);
    // One half-hour a week, on the booked day: nothing else is free.
    const doctorToken = await tokenFor(request, doctorEmail);
    const weekday = start.getUTCDay() === 0 ? 7 : start.getUTCDay();
    const hours = await request.put('/api/doctors/me/schedule', {
      headers: { Authorization: `Bearer ${doctorToken}` },
      data: {
        timeZone: 'UTC', slotMinutes: 30,
        weekly: [{ weekday, start: '10:00', end: '10:30' }],
      },
    });
    expect(hours.status()).toBe(200);
    const day = start.toISOString().slice(0, 10);

    const waiterEmail = await registerViaApi(request, 'PATIENT', 'Wendy Waiter');
    await signIn(page, waiterEmail);
    const found = await (
      await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
    ).json();
    await page.goto(`/doctors/${found.doctors[0].id}`);
    const join = page.locator('section', { has: page.getByRole('heading', { name: 'Waitlist' }) });
    await join.getByLabel('From').fill(day);
    await join.getByLabel('To').fill(day);
    await join.getByRole('button', { name: 'Join the waitlist' }).click();
    await expect(join.getByRole('status')).toContainText('You are on the waitlist for a time on');
    await join.getByRole('link', { name: 'See your waitlists' }).click();
    const entry = page.locator('[data-test="waitlist-entry"]');
    await expect(entry).toContainText(doctorName);
    await expect(entry).toContainText('Waiting for a time on');
    await expect(page.locator('[data-test="waitlist-offer"]')).toHaveCount(0);

    // The holder cancels: the time is offered to the waiter, live and by email.
    const mine = await (
      await request.get('/api/appointments', {
        headers: { Authorization: `Bearer ${holderToken}` },
      })
    ).json();
    const cancelled = await request.put(`/api/appointments/${mine.appointments[0].id}`, {
      headers: { Authorization: `Bearer ${holderToken}` },
      data: { status: 'CANCELLED' },
    });
    expect(cancelled.status()).toBe(200);
    const offer = page.locator('[data-test="waitlist-offer"]');
    await expect(offer).toContainText('A time is held for you');
    const mail = await readMail(waiterEmail, `A time with ${doctorName} is free`);
    expect(mail.text).toContain('We hold it for you until');
    expect(mail.text).toContain('/appointments');

    // Booked by keyboard: the entry is done and the appointment is upcoming.
    await offer.getByRole('button', { name: 'Book this time' }).focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: `Booked: ${doctorName}` }))
      .toBeVisible();
    await expect(page.locator('[data-test="waitlist-entry"]')).toHaveCount(0);
    const upcoming = page.getByRole('region', { name: 'Upcoming' });
    await expect(upcoming.locator('[data-test="appointment"]')).toContainText(doctorName);
  });

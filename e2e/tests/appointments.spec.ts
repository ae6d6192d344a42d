import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { PASSWORD, goTo, registerViaApi, signIn } from './helpers';

const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@e2e.mediconnect.test';
const adminPassword = process.env.ADMIN_PASSWORD ?? 'e2e admin password';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

/** A doctor who works every day, all day (UTC), in 30-minute slots. */
async function doctorWithHours(request: APIRequestContext, name: string) {
  const email = await registerViaApi(request, 'DOCTOR', name, 'General Practice');
  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  const { token } = await login.json();
  const weekly = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
    weekday,
    start: '00:00',
    end: '24:00',
  }));
  const res = await request.put('/api/doctors/me/schedule', {
    headers: { Authorization: `Bearer ${token}` },
    data: { timeZone: 'UTC', slotMinutes: 30, weekly, exceptions: [] },
  });
  expect(res.status()).toBe(200);
  return email;
}

/** Finds `doctorName` on the Doctors page and opens the booking dialog of their card. */
async function openBooking(patient: Page, doctorName: string) {
  await patient.getByRole('link', { name: 'Doctors', exact: true }).click();
  await patient.getByLabel('Search by name').fill(doctorName);
  const card = patient.locator('[data-test="doctor-card"]', { hasText: doctorName });
  await card.getByRole('button', { name: 'Book' }).click();
  return { card, dialog: patient.getByRole('dialog', { name: `Book with ${doctorName}` }) };
}

test('a patient books a free slot, the doctor sees it live, the patient cancels and the slot is ' +
  'free again', async ({ browser, request }) => {
  const doctorName = unique('Dr. Slots');
  const doctorEmail = await doctorWithHours(request, doctorName);
  const patientName = unique('Pat Booker');
  const patientEmail = await registerViaApi(request, 'PATIENT', patientName);

  const doctorContext = await browser.newContext();
  const doctor = await doctorContext.newPage();
  await signIn(doctor, doctorEmail);
  await doctor.getByRole('link', { name: 'Appointments', exact: true }).click();
  await expect(doctor.getByRole('heading', { name: 'Appointments', level: 1 })).toBeVisible();
  await expect(doctor.locator('[data-test="appointment"]')).toHaveCount(0);

  const patientContext = await browser.newContext();
  const patient = await patientContext.newPage();
  await signIn(patient, patientEmail);
  const { card, dialog } = await openBooking(patient, doctorName);
  await expect(dialog).toBeVisible();
  const next = dialog.locator('[data-test="next-slot"]');
  const firstSlot = (await next.textContent()) ?? '';
  await next.click();
  await dialog.getByLabel('Reason for the visit (optional)').fill('Persistent cough');
  await dialog.locator('[data-test="confirm-booking"]').click();
  await expect(dialog).toBeHidden();
  await expect(card.getByRole('status')).toContainText('Booked for');

  // The doctor's list updates without a reload.
  const booked = doctor.locator('[data-test="appointment"]', { hasText: patientName });
  await expect(booked).toBeVisible({ timeout: 2_000 });
  await expect(booked).toContainText('Persistent cough');
  // Screen readers hear who booked: the patient, not the doctor's own name.
  await expect(
    doctor.getByRole('status').filter({ hasText: `Appointment with ${patientName} on ` }),
  ).toHaveCount(1);

  // The patient cancels, after confirming.
  await patient.getByRole('link', { name: 'Appointments', exact: true }).click();
  const mine = patient.locator('[data-test="appointment"]', { hasText: doctorName });
  await expect(mine).toContainText('Scheduled');
  await mine.getByRole('button', { name: 'Cancel' }).click();
  const confirm = patient.getByRole('dialog', { name: 'Cancel this appointment?' });
  await confirm.getByRole('button', { name: 'Cancel appointment' }).click();
  await expect(mine).toContainText('Cancelled');
  // The outcome takes the focus: the button that had it went with the rebuilt list.
  await expect(patient.getByRole('status').filter({ hasText: 'is now cancelled' })).toBeFocused();
  await expect(
    doctor.locator('[data-test="appointment"]', { hasText: patientName }),
  ).toContainText('Cancelled', { timeout: 2_000 });

  // The same slot is offered again.
  await openBooking(patient, doctorName);
  await expect(patient.getByRole('dialog').locator('[data-test="next-slot"]')).toHaveText(
    firstSlot,
  );

  await doctorContext.close();
  await patientContext.close();
});

test('a doctor edits working hours: a zone from the list, copied weekdays, days off in words, ' +
  'errors beside their fields', async ({ page, request }) => {
  const email = await registerViaApi(request, 'DOCTOR', unique('Dr. Hours'), 'Neurology');
  await signIn(page, email);
  await page.getByRole('link', { name: 'Hours' }).click();
  await expect(page.getByRole('heading', { name: 'Working hours' })).toBeVisible();
  // The zone is picked from a list, found by typing part of a city.
  const zone = page.getByLabel('Time zone of these hours', { exact: true });
  await expect(zone).toHaveJSProperty('tagName', 'SELECT');
  await page.getByLabel('Search time zone of these hours').fill('berlin');
  await expect(zone).toHaveValue('Europe/Berlin');
  await page.getByLabel('Appointment length').selectOption('45');
  await page.getByRole('button', { name: 'Add hours on Monday' }).click();
  await page.getByRole('button', { name: "Copy Monday's hours to every weekday" }).click();
  for (const day of ['Tuesday', 'Wednesday', 'Thursday', 'Friday']) {
    await expect(page.getByRole('group', { name: day }).getByLabel('From')).toHaveValue('09:00');
  }
  await expect(page.getByRole('group', { name: 'Saturday' }).getByLabel('From')).toHaveCount(0);
  await page.getByLabel('Date', { exact: true }).fill('2030-01-07');
  await page.getByRole('button', { name: 'Add day off' }).click();
  await expect(page.locator('.days-off')).toContainText('Monday 7 January 2030');
  const save = page.getByRole('button', { name: 'Save hours' });
  await save.click();
  // The outcome shows beside the button that was pressed.
  const saved = page.getByText('Your hours are saved.');
  await expect(saved).toBeInViewport();
  await page.reload();
  await expect(zone).toHaveValue('Europe/Berlin');
  await expect(page.getByLabel('Appointment length')).toHaveValue('45');
  await expect(page.getByRole('group', { name: 'Friday' }).getByLabel('From')).toHaveValue('09:00');
  await expect(page.locator('.days-off')).toContainText('Monday 7 January 2030');

  // Wrong hours: each error is beside its field, in words, without code marks.
  const tuesday = page.getByRole('group', { name: 'Tuesday' });
  await tuesday.getByLabel('to').fill('08:00');
  const monday = page.getByRole('group', { name: 'Monday' });
  await page.getByRole('button', { name: 'Add hours on Monday' }).click();
  await save.click();
  await expect(page.getByRole('alert')).toContainText('Your hours were not saved.');
  await expect(tuesday.locator('.field-error')).toHaveText('09:00–08:00 ends before it starts.');
  await expect(monday.locator('.field-error')).toHaveText('09:00–17:00 overlaps 09:00–17:00.');
  await expect(page.locator('.field-error', { hasText: '`' })).toHaveCount(0);
  await expect(
    page.getByRole('group', { name: 'Wednesday' }).locator('.field-error'),
  ).toHaveCount(0);
});

test('each booking dialog is named after its doctor; a doctor without hours is booked at the ' +
  'time shown; errors say why', async ({ browser, request }) => {
  const tag = unique('Twin');
  const first = `Dr. Aaa ${tag}`;
  const second = `Dr. Bbb ${tag}`;
  await registerViaApi(request, 'DOCTOR', first, 'Dermatology');
  await registerViaApi(request, 'DOCTOR', second, 'Dermatology');
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Twin'));
  const context = await browser.newContext();
  const patient = await context.newPage();
  await signIn(patient, patientEmail);
  await patient.getByRole('link', { name: 'Doctors', exact: true }).click();
  await patient.getByLabel('Search by name').fill(tag);
  await expect(patient.locator('[data-test="doctor-card"]')).toHaveCount(2);

  // The second card's dialog carries the second doctor's name, not the first's.
  const secondCard = patient.locator('[data-test="doctor-card"]', { hasText: second });
  await secondCard.getByRole('button', { name: 'Book' }).click();
  const dialog = patient.getByRole('dialog', { name: `Book with ${second}` });
  await expect(dialog).toBeVisible();

  // No hours published: said so, and times are picked on the same grid as slots,
  // in the app's 24-hour format, never in a bare date-and-time field.
  await expect(dialog.locator('[data-test="no-hours"]')).toContainText(
    `${second} has not published working hours`,
  );
  await expect(dialog.locator('input[type="datetime-local"]')).toHaveCount(0);
  await expect(dialog.getByLabel('Day')).toContainText('(any time)');
  const confirm = dialog.locator('[data-test="confirm-booking"]');
  await expect(confirm).toHaveText('Pick a time');
  const radios = dialog.getByRole('radio');
  expect(await radios.count()).toBeGreaterThan(0);
  await expect(radios.first()).not.toBeChecked();
  await dialog.locator('[data-test="next-slot"]').click();
  await expect(confirm).toBeEnabled();
  await expect(confirm).toHaveText(/^Book \w{3} \d+ \w{3}, \d\d:\d\d$/);
  await confirm.click();
  await expect(dialog).toBeHidden();
  await expect(secondCard.getByRole('status')).toContainText('Booked for');
  await context.close();
});

test("an admin reads appointments without their reasons, and is offered no change", async ({
  browser,
  request,
}) => {
  const doctorName = unique('Dr. Audited');
  await registerViaApi(request, 'DOCTOR', doctorName, 'Oncology');
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Private'));
  const login = await request.post('/api/auth/login', {
    data: { email: patientEmail, password: PASSWORD },
  });
  const { token } = await login.json();
  const doctors = await (
    await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
  ).json();
  const start = new Date(Date.now() + 3 * 86_400_000);
  start.setUTCMinutes(0, 0, 0);
  const booking = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      doctorId: doctors.doctors[0].id,
      scheduledFor: start.toISOString(),
      reason: 'A private matter',
    },
  });
  expect(booking.status()).toBe(201);

  const context = await browser.newContext();
  const admin = await context.newPage();
  await signIn(admin, adminEmail, adminPassword);
  await admin.getByRole('link', { name: 'Appointments', exact: true }).click();
  const row = admin.locator('[data-test="appointment"]', { hasText: doctorName });
  await expect(row).toBeVisible();
  await expect(row).toContainText('Scheduled');
  await expect(row).not.toContainText('A private matter');
  await expect(row.getByRole('button')).toHaveCount(0);
  await context.close();
});

test('a busy doctor pages through upcoming appointments', async ({ browser, request }) => {
  const doctorName = unique('Dr. Busy');
  const doctorEmail = await registerViaApi(request, 'DOCTOR', doctorName, 'Pediatrics');
  const tokenOf = async (email: string) =>
    (
      await (await request.post('/api/auth/login', { data: { email, password: PASSWORD } })).json()
    ).token as string;
  // Ten ahead per patient (the clinic's most), from six patients.
  const rules = await request.put('/api/doctors/me/booking-rules', {
    headers: { Authorization: `Bearer ${await tokenOf(doctorEmail)}` },
    data: {
      minNoticeMinutes: 120,
      cancelCutoffMinutes: 0,
      horizonDays: 180,
      maxOpenPerPatient: 10,
    },
  });
  expect(rules.status()).toBe(200);
  const tokens: string[] = [];
  for (let p = 0; p < 6; p++) {
    tokens.push(await tokenOf(await registerViaApi(request, 'PATIENT', unique('Pat Frequent'))));
  }
  const doctors = await (
    await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
  ).json();
  const first = new Date(Date.now() + 2 * 86_400_000);
  first.setUTCHours(0, 0, 0, 0);
  // 53 hourly appointments: one more page than the 50 the page loads at first.
  for (let i = 0; i < 53; i++) {
    const res = await request.post('/api/appointments', {
      headers: { Authorization: `Bearer ${tokens[i % tokens.length]}` },
      data: {
        doctorId: doctors.doctors[0].id,
        scheduledFor: new Date(first.getTime() + i * 3_600_000).toISOString(),
      },
    });
    expect(res.status()).toBe(201);
  }

  const context = await browser.newContext();
  const doctor = await context.newPage();
  await signIn(doctor, doctorEmail);
  await doctor.getByRole('link', { name: 'Appointments', exact: true }).click();
  const upcoming = doctor
    .getByRole('region', { name: 'Upcoming' })
    .locator('[data-test="appointment"]');
  await expect(upcoming).toHaveCount(50);
  await doctor.getByRole('button', { name: 'Show more upcoming appointments' }).click();
  await expect(upcoming).toHaveCount(53);
  await expect(
    doctor.getByRole('button', { name: 'Show more upcoming appointments' }),
  ).toHaveCount(0);
  await context.close();
});

test('a booking refused by the server keeps the focus in the dialog', async ({
  browser,
  request,
}) => {
  const first = unique('Dr. Focus One');
  const second = unique('Dr. Focus Two');
  await doctorWithHours(request, first);
  await doctorWithHours(request, second);
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Keyboard'));
  const login = await request.post('/api/auth/login', {
    data: { email: patientEmail, password: PASSWORD },
  });
  const { token } = await login.json();
  const found = await (await request.get(`/api/doctors?q=${encodeURIComponent(first)}`)).json();
  const slots = await (await request.get(`/api/doctors/${found.doctors[0].id}/slots`)).json();
  // The patient already has the first free time, with the first doctor.
  const booked = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${token}` },
    data: { doctorId: found.doctors[0].id, scheduledFor: slots.slots[0].start },
  });
  expect(booked.status()).toBe(201);

  const context = await browser.newContext();
  const patient = await context.newPage();
  await signIn(patient, patientEmail);
  const { dialog } = await openBooking(patient, second);
  await dialog.locator('[data-test="next-slot"]').click();
  const confirm = dialog.locator('[data-test="confirm-booking"]');
  await confirm.focus();
  await patient.keyboard.press('Enter');
  await expect(dialog.getByRole('alert')).toBeVisible();
  await expect(dialog).toBeVisible();
  await expect(confirm).toBeFocused();
  await context.close();
});

test('on a phone, a long word or address in a reason wraps instead of widening the page', async ({
  browser,
  request,
}) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  const doctorName = unique('Dr. Narrow');
  await doctorWithHours(request, doctorName);
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Narrow'));
  const login = await request.post('/api/auth/login', {
    data: { email: patientEmail, password: PASSWORD },
  });
  const { token } = await login.json();
  const list = await (await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)).json();
  const start = new Date(Date.now() + 3 * 86_400_000);
  start.setUTCHours(10, 0, 0, 0);
  const reason = `See https://example.com/${'a'.repeat(
    150,
  )} and Pneumonoultramicroscopicsilicovolcanoconiosis${'x'.repeat(100)}`;
  const booked = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${token}` },
    data: { doctorId: list.doctors[0].id, scheduledFor: start.toISOString(), reason },
  });
  expect(booked.status()).toBe(201);
  await signIn(page, patientEmail);
  await goTo(page, 'Appointments');
  await expect(page.locator('[data-test="appointment"]')).toContainText('Pneumono');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
  await context.close();
});

test('a doctor confirms a final status, and corrects a mis-click within the day', async ({
  browser,
  request,
}) => {
  const doctorName = unique('Dr. Careful');
  const doctorEmail = await registerViaApi(request, 'DOCTOR', doctorName, 'General Practice');
  const patientName = unique('Pat Careful');
  const patientEmail = await registerViaApi(request, 'PATIENT', patientName);
  const token = (
    await (
      await request.post('/api/auth/login', {
        data: { email: patientEmail, password: PASSWORD },
      })
    ).json()
  ).token;
  const list = await (await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)).json();
  // A doctor who takes bookings without notice.
  const doctorToken = (
    await (
      await request.post('/api/auth/login', { data: { email: doctorEmail, password: PASSWORD } })
    ).json()
  ).token;
  const rules = await request.put('/api/doctors/me/booking-rules', {
    headers: { Authorization: `Bearer ${doctorToken}` },
    data: { minNoticeMinutes: 0, cancelCutoffMinutes: 0, horizonDays: 180, maxOpenPerPatient: 3 },
  });
  expect(rules.status()).toBe(200);
  // A doctor without hours takes any future time: one that starts in three seconds.
  const start = new Date(Date.now() + 3_000).toISOString();
  const booked = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${token}` },
    data: { doctorId: list.doctors[0].id, scheduledFor: start },
  });
  expect(booked.status()).toBe(201);
  await new Promise((r) => setTimeout(r, 3_500));

  const page = await (await browser.newContext()).newPage();
  await signIn(page, doctorEmail);
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  const item = page.locator('[data-test="appointment"]', { hasText: patientName });
  await item.getByRole('button', { name: 'Completed' }).click();
  // Asked first: keeping it changes nothing.
  const ask = page.getByRole('dialog', { name: 'Mark as completed?' });
  await expect(ask).toContainText('You can correct this within 24 hours');
  await ask.getByRole('button', { name: 'Keep it' }).click();
  await expect(item.locator('.badge')).toHaveText('Scheduled');
  await item.getByRole('button', { name: 'Completed' }).click();
  await page
    .getByRole('dialog', { name: 'Mark as completed?' })
    .getByRole('button', { name: 'Mark as completed' })
    .click();
  await expect(item.locator('.badge')).toHaveText('Completed');
  // A mis-click: corrected to missed, after confirming.
  await item.getByRole('button', { name: 'Correct to missed' }).click();
  await page
    .getByRole('dialog', { name: 'Mark as missed?' })
    .getByRole('button', { name: 'Mark as missed' })
    .click();
  await expect(item.locator('.badge')).toHaveText('Missed');
  await expect(item.getByRole('button', { name: 'Correct to completed' })).toBeVisible();
});

test('the reschedule dialog shows the time an appointment has, and starts from it', async ({
  page,
  request,
}) => {
  const doctorName = unique('Dr. Steady');
  await registerViaApi(request, 'DOCTOR', doctorName, 'General Practice');
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Mover'));
  const token = (
    await (
      await request.post('/api/auth/login', {
        data: { email: patientEmail, password: PASSWORD },
      })
    ).json()
  ).token;
  const list = await (await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)).json();
  const start = new Date(Date.now() + 3 * 86_400_000);
  start.setUTCHours(10, 30, 0, 0);
  const booked = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${token}` },
    data: { doctorId: list.doctors[0].id, scheduledFor: start.toISOString() },
  });
  expect(booked.status()).toBe(201);
  await signIn(page, patientEmail);
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  const item = page.locator('[data-test="appointment"]', { hasText: doctorName });
  await item.getByRole('button', { name: 'Reschedule' }).click();
  const dialog = page.getByRole('dialog', { name: 'Pick a new time' });
  await expect(dialog.locator('[data-test="current-time"]')).toContainText('Now:');
  // A doctor without hours: the picker opens on the day it has, its time shown
  // among the others (this patient's zone is UTC), not offered again.
  const day = await dialog
    .getByLabel('Day')
    .evaluate((s: HTMLSelectElement) => s.selectedOptions[0].textContent);
  const words = start
    .toLocaleDateString('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      timeZone: 'UTC',
    })
    .replace(',', '');
  expect(day).toContain(words);
  const current = dialog.locator('.slot.current');
  await expect(current).toHaveText('10:30 (current)');
  await expect(current.getByRole('radio')).toBeDisabled();
  await expect(dialog.locator('[data-test="confirm-booking"]')).toHaveText('Pick a time');
});

test('a slot taken meanwhile: the picker says so and reads the free times again', async ({
  browser,
  request,
}) => {
  const doctorName = unique('Dr. Popular');
  await doctorWithHours(request, doctorName);
  const rivalEmail = await registerViaApi(request, 'PATIENT', unique('Pat Quick'));
  const rival = (
    await (
      await request.post('/api/auth/login', { data: { email: rivalEmail, password: PASSWORD } })
    ).json()
  ).token;
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Slow'));
  const found = await (
    await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
  ).json();
  const context = await browser.newContext();
  const patient = await context.newPage();
  await signIn(patient, patientEmail);
  const { dialog } = await openBooking(patient, doctorName);
  const radios = dialog.getByRole('radio');
  await expect(radios.first()).toBeVisible();
  // Slots are one radio group: Tab enters it once, arrows move the choice.
  await radios.first().focus();
  await patient.keyboard.press('ArrowRight');
  await expect(radios.nth(1)).toBeChecked();
  await expect(radios.nth(1)).toBeFocused();
  const chosenValue = await radios.nth(1).getAttribute('value');
  const chosenLabel = (await dialog.locator('.slot').nth(1).textContent()) ?? '';
  const dayBefore = await dialog
    .getByLabel('Day')
    .evaluate((s: HTMLSelectElement) => s.selectedOptions[0].textContent);
  // Someone else takes it first.
  const taken = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${rival}` },
    data: { doctorId: found.doctors[0].id, scheduledFor: chosenValue },
  });
  expect(taken.status()).toBe(201);
  await dialog.locator('[data-test="confirm-booking"]').click();
  await expect(dialog.getByRole('alert')).toContainText(
    'The free times are updated: pick another.',
  );
  await expect(dialog.locator('.slot', { hasText: chosenLabel })).toHaveCount(0);
  const dayAfter = await dialog
    .getByLabel('Day')
    .evaluate((s: HTMLSelectElement) => s.selectedOptions[0].textContent);
  const free = (t: string | null) => Number(/\((\d+) free\)/.exec(t ?? '')?.[1]);
  expect(free(dayAfter)).toBe(free(dayBefore) - 1);
  await expect(dialog.locator('[data-test="confirm-booking"]')).toHaveText('Pick a time');
  // The picker reaches the booking horizon (180 days), four weeks at a time.
  const later = dialog.getByRole('button', { name: 'Later dates' });
  for (let i = 0; i < 6; i++) {
    await later.click();
    await expect(dialog.locator('[data-test="slot-range"]')).toBeVisible();
  }
  await expect(dialog.getByLabel('Day')).toBeVisible();
  await expect(later).toBeDisabled();
  await context.close();
});

import { APIRequestContext, expect, test } from '@playwright/test';
import { PASSWORD, registerViaApi, signIn } from './helpers';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

async function tokenOf(request: APIRequestContext, email: string): Promise<string> {
  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status()).toBe(200);
  return (await login.json()).token;
}

/** A doctor who works every day, all day (UTC), in 30-minute slots; their id. */
async function doctorWithHours(
  request: APIRequestContext,
  name: string,
): Promise<{ email: string; id: string }> {
  const email = await registerViaApi(request, 'DOCTOR', name, 'General Practice');
  const token = await tokenOf(request, email);
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
  const list = await (await request.get(`/api/doctors?q=${encodeURIComponent(name)}`)).json();
  return { email, id: list.doctors[0].id };
}

test("the user's own change is announced once, by the page that made it", async ({
  browser,
  request,
}) => {
  const doctorName = unique('Dr. Quiet');
  const doctor = await doctorWithHours(request, doctorName);
  const patientName = unique('Pat Quiet');
  const patientEmail = await registerViaApi(request, 'PATIENT', patientName);

  const doctorPage = await (await browser.newContext()).newPage();
  await signIn(doctorPage, doctor.email);
  await doctorPage.getByRole('link', { name: 'Appointments', exact: true }).click();
  const patient = await (await browser.newContext()).newPage();
  await signIn(patient, patientEmail);
  const announcer = patient.locator('[data-test="announcer"]');

  await patient.getByRole('link', { name: 'Doctors', exact: true }).click();
  await patient.getByLabel('Search by name').fill(doctorName);
  const card = patient.locator('[data-test="doctor-card"]', { hasText: doctorName });
  await card.getByRole('button', { name: 'Book' }).click();
  const dialog = patient.getByRole('dialog', { name: `Book with ${doctorName}` });
  await dialog.locator('[data-test="next-slot"]').click();
  await dialog.locator('[data-test="confirm-booking"]').click();
  await expect(card.getByRole('status')).toContainText('Booked for');
  // The other party hears of it; the socket's event reaches the patient's tab too,
  // which says nothing more: the form has said it.
  await expect(doctorPage.locator('[data-test="announcer"]')).toContainText(
    `Appointment with ${patientName}`,
  );
  await patient.waitForTimeout(1_000);
  await expect(announcer).toHaveText('');

  await patient.getByRole('link', { name: 'Appointments', exact: true }).click();
  const mine = patient.locator('[data-test="appointment"]', { hasText: doctorName });
  await mine.getByRole('button', { name: 'Cancel' }).click();
  await patient
    .getByRole('dialog', { name: 'Cancel this appointment?' })
    .getByRole('button', { name: 'Cancel appointment' })
    .click();
  await expect(patient.getByRole('status').filter({ hasText: 'is now cancelled' })).toBeVisible();
  await expect(doctorPage.locator('[data-test="announcer"]')).toContainText('is cancelled');
  await patient.waitForTimeout(1_000);
  await expect(announcer).toHaveText('');
  // One status region says it: the page's outcome.
  await expect(patient.getByRole('status').filter({ hasText: /cancelled/ })).toHaveCount(1);
});

test('cancelled appointments ahead page like the rest, past the first 50', async ({
  page,
  request,
}) => {
  const doctor = await doctorWithHours(request, unique('Dr. Many'));
  const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Many'));
  const token = await tokenOf(request, patientEmail);
  const headers = { Authorization: `Bearer ${token}` };
  // From midnight two days ahead: tomorrow's midnight is within the doctor's notice
  // (two hours) late in the UTC day.
  const first = new Date();
  first.setUTCDate(first.getUTCDate() + 2);
  first.setUTCHours(0, 0, 0, 0);
  for (let i = 0; i < 51; i++) {
    const start = new Date(first.getTime() + i * 30 * 60_000).toISOString();
    const booked = await request.post('/api/appointments', {
      headers,
      data: { doctorId: doctor.id, scheduledFor: start },
    });
    expect(booked.status()).toBe(201);
    const { id } = await booked.json();
    expect((await request.delete(`/api/appointments/${id}`, { headers })).status()).toBe(200);
  }
  await signIn(page, patientEmail);
  await page.getByRole('link', { name: 'Appointments', exact: true }).click();
  const section = page.getByRole('region', { name: 'Past and cancelled' });
  const items = section.locator('[data-test="appointment"]');
  await expect(items).toHaveCount(50);
  // The list says there is more, rather than stopping silently.
  await page.getByRole('button', { name: 'Show older appointments' }).click();
  await expect(items).toHaveCount(51);
  await expect(page.getByRole('button', { name: 'Show older appointments' })).toHaveCount(0);
});

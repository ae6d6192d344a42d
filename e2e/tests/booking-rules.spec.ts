import { expect, test } from '@playwright/test';
import { PASSWORD, bookedPair, readMail, registerViaApi, signIn } from './helpers';

function unique(prefix: string) {
  return `${prefix} ${Math.floor(Math.random() * 1e9)}`;
}

test('a doctor sets booking rules; a patient at the limit is told why instead of offered times',
  async ({ browser, request }) => {
    const doctorName = unique('Dr. Ruled');
    const doctorEmail = await registerViaApi(request, 'DOCTOR', doctorName, 'Neurology');
    const doctorContext = await browser.newContext();
    const doctor = await doctorContext.newPage();
    await signIn(doctor, doctorEmail);
    await doctor.getByRole('link', { name: 'Hours' }).click();
    await expect(doctor.getByRole('heading', { name: 'Booking rules' })).toBeVisible();
    const notice = doctor.getByLabel('Notice (hours)');
    await expect(notice).toHaveValue('2');
    // A bad value is named beside its field.
    await doctor.getByLabel('Bookable ahead (days)').fill('400');
    await doctor.getByRole('button', { name: 'Save rules' }).click();
    await expect(doctor.locator('.rules .field-error')).toHaveText(
      'Bookings open from 1 to 180 days ahead',
    );
    await doctor.getByLabel('Bookable ahead (days)').fill('30');
    await notice.fill('24');
    await doctor.getByLabel('Appointments ahead per patient').fill('1');
    await doctor.getByRole('button', { name: 'Save rules' }).click();
    await expect(doctor.getByText('Your booking rules are saved.')).toBeVisible();
    await doctor.reload();
    await expect(notice).toHaveValue('24');

    // A patient books once (a day and more ahead), then is told they are at the limit.
    const patientEmail = await registerViaApi(request, 'PATIENT', unique('Pat Ruled'));
    const token = (
      await (
        await request.post('/api/auth/login', { data: { email: patientEmail, password: PASSWORD } })
      ).json()
    ).token;
    const found = await (
      await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
    ).json();
    const soon = new Date(Date.now() + 3_600_000 * 3);
    const refused = await request.post('/api/appointments', {
      headers: { Authorization: `Bearer ${token}` },
      data: { doctorId: found.doctors[0].id, scheduledFor: soon.toISOString() },
    });
    expect(refused.status()).toBe(422);
    expect((await refused.json()).detail).toBe(
      `${doctorName} takes bookings at least 1 day ahead. Pick a later time.`,
    );
    const later = new Date(Date.now() + 3 * 86_400_000);
    later.setUTCHours(10, 0, 0, 0);
    const booked = await request.post('/api/appointments', {
      headers: { Authorization: `Bearer ${token}` },
      data: { doctorId: found.doctors[0].id, scheduledFor: later.toISOString() },
    });
    expect(booked.status()).toBe(201);

    const patientContext = await browser.newContext();
    const patient = await patientContext.newPage();
    await signIn(patient, patientEmail);
    await patient.getByRole('link', { name: 'Doctors', exact: true }).click();
    await patient.getByLabel('Search by name').fill(doctorName);
    const card = patient.locator('[data-test="doctor-card"]', { hasText: doctorName });
    await card.getByRole('button', { name: 'Book' }).click();
    const dialog = patient.getByRole('dialog', { name: `Book with ${doctorName}` });
    await expect(dialog.locator('[data-test="booking-blocked"]')).toHaveText(
      `You already have 1 appointment ahead with ${doctorName}, the most they take from one ` +
        'patient. Cancel one, or book after one has taken place.',
    );
    await expect(dialog.getByRole('radio')).toHaveCount(0);
    await doctorContext.close();
    await patientContext.close();
  });

test('a doctor takes time off over a booking: asked first, then the patient sees it cancelled ' +
  'live', async ({ browser, request }) => {
  const doctorName = unique('Dr. Leave');
  const patientName = unique('Pat Leave');
  const { doctorEmail, patientEmail, start } = await bookedPair(
    request,
    doctorName,
    patientName,
    4,
    12,
  );

  const patientContext = await browser.newContext();
  const patient = await patientContext.newPage();
  await signIn(patient, patientEmail);
  await patient.getByRole('link', { name: 'Appointments', exact: true }).click();
  const mine = patient.locator('[data-test="appointment"]', { hasText: doctorName });
  await expect(mine).toContainText('Scheduled');

  const doctorContext = await browser.newContext();
  const doctor = await doctorContext.newPage();
  await signIn(doctor, doctorEmail);
  await doctor.getByRole('link', { name: 'Hours' }).click();
  // The hours' zone is the browser's until hours are published: UTC here.
  const day = start.toISOString().slice(0, 10);
  await doctor.getByLabel('From', { exact: true }).last().fill(`${day}T08:00`);
  await doctor.getByLabel('To', { exact: true }).fill(`${day}T18:00`);
  await doctor.getByLabel('Note (only you see it)').fill('Conference');
  await doctor.getByRole('button', { name: 'Add time off' }).click();
  const alert = doctor.getByRole('alert');
  await expect(alert).toContainText('This time off holds 1 booked appointment.');
  await expect(mine).toContainText('Scheduled');
  await alert.getByRole('button', { name: 'Cancel it and add the time off' }).click();
  await expect(doctor.locator('[data-test="time-off"]')).toContainText(/, 08:00 to .*, 18:00/);
  await expect(doctor.locator('[data-test="time-off"]')).toContainText('(Conference)');
  // The patient's page changes by itself.
  await expect(mine).toContainText('Cancelled');
  await doctorContext.close();
  await patientContext.close();
});

test('a doctor moves an appointment: the patient sees the new time live and may turn it down',
  async ({ browser, request }) => {
    const doctorName = unique('Dr. Mover');
    const patientName = unique('Pat Moved');
    const { doctorEmail, patientEmail } = await bookedPair(
      request,
      doctorName,
      patientName,
      5,
      10,
    );

    const patientContext = await browser.newContext();
    const patient = await patientContext.newPage();
    await signIn(patient, patientEmail);
    await patient.getByRole('link', { name: 'Appointments', exact: true }).click();
    const mine = patient.locator('[data-test="appointment"]', { hasText: doctorName });
    await expect(mine).toContainText('10:00');

    const doctorContext = await browser.newContext();
    const doctor = await doctorContext.newPage();
    await signIn(doctor, doctorEmail);
    await doctor.getByRole('link', { name: 'Appointments', exact: true }).click();
    const item = doctor.locator('[data-test="appointment"]', { hasText: patientName });
    await item.getByRole('button', { name: 'Reschedule' }).click();
    const dialog = doctor.getByRole('dialog', { name: 'Pick a new time' });
    // Half an hour later the same day (a doctor without hours: any half hour).
    await dialog.getByRole('radio', { name: '10:30' }).check();
    await dialog.locator('[data-test="confirm-booking"]').click();
    await expect(doctor.getByText(/^Moved to .*10:30\.$/)).toBeVisible();

    await expect(mine).toContainText('10:30');
    const mail = await readMail(patientEmail, `Moved: your appointment with ${doctorName}`);
    expect(mail.text).toContain(`${doctorName} moved your appointment`);
    expect(mail.text).toContain('If the new time does not suit you, cancel the appointment.');
    await doctorContext.close();
    await patientContext.close();
  });

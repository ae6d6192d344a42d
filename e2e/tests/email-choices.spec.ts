import { expect, test } from '@playwright/test';
import { registerViaApi, signIn, tokenFor } from './helpers';

test('a patient turns reminders off and a doctor asks for the daily agenda, by keyboard',
  async ({ browser, request }) => {
    const patientEmail = await registerViaApi(request, 'PATIENT', 'Rita Reminders');
    const patient = await (await browser.newContext()).newPage();
    await signIn(patient, patientEmail);
    await patient.goto('/profile');
    const reminders = patient.getByLabel('Email me reminders before my appointments');
    await expect(reminders).toBeChecked();
    await reminders.focus();
    await patient.keyboard.press('Space');
    await expect(reminders).not.toBeChecked();
    await patient.getByRole('button', { name: 'Save changes' }).click();
    await expect(patient.getByText('Your profile is saved.')).toBeVisible();
    const token = await tokenFor(request, patientEmail);
    const profile = await (
      await request.get('/api/users/profile', { headers: { Authorization: `Bearer ${token}` } })
    ).json();
    expect(profile.patient.notifications.appointmentReminders).toBe(false);
    await patient.reload();
    await expect(reminders).not.toBeChecked();

    const doctorEmail = await registerViaApi(request, 'DOCTOR', 'Dr. Agenda', 'Neurology');
    const doctor = await (await browser.newContext()).newPage();
    await signIn(doctor, doctorEmail);
    await doctor.goto('/profile');
    const agenda = doctor.getByLabel("Email me my day's appointments every morning");
    await expect(agenda).not.toBeChecked();
    await expect(agenda).toHaveAccessibleDescription(/At 07:00 in your time zone/);
    await agenda.focus();
    await doctor.keyboard.press('Space');
    await doctor.getByRole('button', { name: 'Save changes' }).click();
    await expect(doctor.getByText('Your profile is saved.')).toBeVisible();
    await doctor.reload();
    await expect(agenda).toBeChecked();
  });

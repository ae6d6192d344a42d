import { expect, test } from '@playwright/test';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  PASSWORD,
  confirmationLink,
  openApp,
  readMail,
  registerViaApi,
  signIn,
  uniqueEmail,
} from './helpers';

test('a doctor registers and waits; an admin approves in the dashboard; the doctor goes ' +
  'online and a patient sees them live', async ({ browser, request }) => {
  const name = `Dr. Newcomer ${Math.floor(Math.random() * 1e9)}`;
  const email = uniqueEmail('newcomer');
  const doctor = await (await browser.newContext()).newPage();
  await openApp(doctor, '/register');
  await doctor.getByLabel('Doctor').check();
  await doctor.getByLabel('Full name').fill(name);
  await doctor.getByLabel('Email').fill(email);
  await doctor.getByLabel('Password').fill(PASSWORD);
  await doctor.getByLabel('Specialization').fill('Family Medicine');
  await doctor.getByLabel('Licence or registration number').fill('LIC-2026-0042');
  await doctor.getByRole('button', { name: 'Create account' }).click();
  await expect(doctor).toHaveURL(/\/profile$/);
  await doctor.goto(await confirmationLink(email));
  await expect(doctor.getByText('Your email address is confirmed.')).toBeVisible();
  await doctor.getByRole('link', { name: 'MediConnect' }).click();
  await expect(doctor.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible();
  await expect(doctor.getByRole('switch', { name: 'Available to patients' })).toHaveCount(0);

  // Patients do not see them yet.
  const patientEmail = await registerViaApi(request, 'PATIENT', 'Pat Watching');
  const patient = await (await browser.newContext()).newPage();
  await signIn(patient, patientEmail);
  await patient.getByRole('link', { name: 'Doctors', exact: true }).click();
  await patient.getByLabel('Search by name').fill(name);
  await expect(patient.getByText('No doctor matches these filters.')).toBeVisible();
  await patient.getByRole('link', { name: 'MediConnect' }).click();
  const card = patient.locator('[data-test="doctor-card"]', { hasText: name });

  // The admin approves from the dashboard's queue.
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await admin.getByRole('link', { name: 'Admin', exact: true }).click();
  const queue = admin.getByRole('region', { name: /Doctors waiting for approval/ });
  await expect(queue.locator('[data-test="approval-count"]')).not.toHaveText('0');
  const entry = queue.locator('[data-test="application"]', { hasText: name });
  await expect(entry).toContainText('LIC-2026-0042');
  await expect(entry).toContainText(email);
  await entry.getByRole('button', { name: `Approve ${name}` }).click();
  await admin.getByRole('dialog', { name: `Approve ${name}?` })
    .getByRole('button', { name: 'Approve' })
    .click();
  await expect(entry).toHaveCount(0);
  const mail = await readMail(email, 'Your MediConnect account is approved');
  expect(mail.text).toContain('/login');

  // The doctor goes online; the patient's page shows them without a reload.
  await doctor.reload();
  const toggle = doctor.getByRole('switch', { name: 'Available to patients' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  await expect(card).toBeVisible();
  await expect(card).toContainText('Family Medicine');
});

test('an admin turns a doctor down with a reason the doctor reads', async ({
  browser,
  request,
}) => {
  const name = `Dr. Declined ${Math.floor(Math.random() * 1e9)}`;
  const email = await registerViaApi(request, 'DOCTOR', name, 'Surgery', false);
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await admin.getByRole('link', { name: 'Admin', exact: true }).click();
  const entry = admin.locator('[data-test="application"]', { hasText: name });
  await expect(entry).toContainText('Not confirmed');
  await entry.getByRole('button', { name: `Reject ${name}` }).click();
  const dialog = admin.getByRole('dialog', { name: `Reject ${name}?` });
  await dialog.getByLabel('Reason (emailed to the doctor)').fill('No licence number was given.');
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(entry).toHaveCount(0);
  const mail = await readMail(email, 'Your MediConnect account was not approved');
  expect(mail.text).toContain('No licence number was given.');

  const doctor = await (await browser.newContext()).newPage();
  await signIn(doctor, email);
  await expect(doctor.getByRole('heading', { name: 'Your account was not approved' }))
    .toBeVisible();
  await expect(doctor.getByText('No licence number was given.')).toBeVisible();
});

import { expect, Page, test } from '@playwright/test';
import { registerViaApi, signIn } from './helpers';

// Consult now, with two people in two browser contexts: a doctor who takes consults and
// a patient who asks for one. The browser's fake camera and microphone
// (--use-fake-device-for-media-stream) stand in for real ones; a context is allowed to
// use them only when it grants the permission, as a person would.

/** A doctor signed in on their home page, online and taking consults. */
async function doctorTakingConsults(page: Page, name: string) {
  const email = await registerViaApi(page.request, 'DOCTOR', name, 'General Practice');
  await signIn(page, email);
  await page.goto('/');
  const available = page.getByRole('switch', { name: 'Available to patients' });
  await available.click();
  await expect(available).toHaveAttribute('aria-checked', 'true');
  const queue = page.locator('[data-test="consult-queue"]');
  const take = queue.getByRole('checkbox', { name: 'Take consults now' });
  await expect(take).toBeEnabled();
  await take.check();
  await expect(take).toBeChecked();
  return queue;
}

/** A patient signed in, who asks `doctorName` for a consult now; its place. */
async function patientAsks(page: Page, doctorName: string, reason: string) {
  const email = await registerViaApi(page.request, 'PATIENT', 'Priya Patient');
  await signIn(page, email);
  const found = await (
    await page.request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
  ).json();
  await page.goto(`/doctors/${found.doctors[0].id}`);
  const card = page.locator('[data-test="consult-now"]');
  await card.getByLabel('What is it about?').fill(reason);
  await card.getByRole('button', { name: 'Ask for a consult now' }).click();
  await expect(card.locator('[data-test="consult-waiting"]')).toContainText('You are next.');
  return card;
}

/** Whether the page's remote video shows moving frames: a size, and time that runs. */
async function expectRemoteVideoPlays(page: Page) {
  const video = page.locator('[data-test="remote-video"]');
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 20_000 })
    .toBeGreaterThan(0);
  const first = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 10_000 })
    .toBeGreaterThan(first);
}

async function say(page: Page, text: string) {
  const input = page.locator('[data-test="chat-input"]');
  await input.fill(text);
  await input.press('Enter');
}

test('a patient consults an online doctor by video and chat, and both keep it',
  async ({ browser }) => {
    test.setTimeout(90_000);
    const media = { permissions: ['camera', 'microphone'] };
    const doctorContext = await browser.newContext(media);
    const patientContext = await browser.newContext(media);
    const doctor = await doctorContext.newPage();
    const patient = await patientContext.newPage();
    const doctorName = `Dr. Video ${Math.floor(Math.random() * 1e9)}`;

    const queue = await doctorTakingConsults(doctor, doctorName);
    await expect(queue.locator('[data-test="queue-empty"]')).toBeVisible();
    await patientAsks(patient, doctorName, 'A sore throat');
    // The doctor's queue shows the patient and the reason, live.
    const waiting = queue.locator('[data-test="queued-patient"]');
    await expect(waiting).toContainText('Priya Patient');
    await expect(waiting).toContainText('A sore throat');

    // By keyboard: the doctor takes the next patient; both are taken to the room.
    await queue.getByRole('button', { name: 'Take the next patient' }).focus();
    await doctor.keyboard.press('Enter');
    await expect(doctor).toHaveURL(/\/consult\/[0-9a-f-]+$/);
    await expect(patient).toHaveURL(doctor.url());
    await expect(doctor.getByRole('heading', { name: 'Consult with Priya Patient' }))
      .toBeVisible();
    await expect(patient.getByRole('heading', { name: `Consult with ${doctorName}` }))
      .toBeVisible();

    // Each sees the other's (fake) camera, moving.
    await expectRemoteVideoPlays(doctor);
    await expectRemoteVideoPlays(patient);
    await expect(doctor.locator('[data-test="call-status"]')).toHaveText('Connected.');

    // The chat, both ways.
    await say(patient, 'Can you hear me?');
    await expect(doctor.locator('[data-test="chat-list"]')).toContainText('Can you hear me?');
    await say(doctor, 'Yes, clearly.');
    await expect(patient.locator('[data-test="chat-list"]')).toContainText('Yes, clearly.');

    // The doctor ends it; both rooms say so, and the consult is in both histories.
    await doctor.locator('[data-test="end-consult"]').click();
    for (const page of [doctor, patient]) {
      await expect(page.locator('[data-test="consult-ended"]')).toBeVisible();
      await page.locator('[data-test="consult-ended"]')
        .getByRole('link', { name: 'See your appointments' })
        .click();
      const past = page.locator('[data-test="appointment"]', { hasText: 'Consult now' });
      await expect(past).toHaveCount(1);
      await expect(past).toContainText('Completed');
    }
    await doctorContext.close();
    await patientContext.close();
  });

test('without a camera, the room says so and the consult is done by chat',
  async ({ browser }) => {
    test.setTimeout(60_000);
    // No permission granted: the browser refuses the camera and microphone.
    const doctorContext = await browser.newContext();
    const patientContext = await browser.newContext();
    const doctor = await doctorContext.newPage();
    const patient = await patientContext.newPage();
    const doctorName = `Dr. Chat ${Math.floor(Math.random() * 1e9)}`;

    const queue = await doctorTakingConsults(doctor, doctorName);
    await patientAsks(patient, doctorName, 'A question about a prescription');
    await queue.getByRole('button', { name: 'Take the next patient' }).click();
    await expect(patient).toHaveURL(/\/consult\/[0-9a-f-]+$/);

    for (const page of [doctor, patient]) {
      await expect(page.locator('[data-test="media-error"]'))
        .toContainText('You can still use the chat below.');
    }
    await say(patient, 'My camera is off, is that all right?');
    await expect(doctor.locator('[data-test="chat-list"]'))
      .toContainText('My camera is off, is that all right?');
    await say(doctor, 'Of course. Take the tablets with food.');
    await expect(patient.locator('[data-test="chat-list"]'))
      .toContainText('Take the tablets with food.');
    await patient.locator('[data-test="end-consult"]').click();
    await expect(doctor.locator('[data-test="consult-ended"]')).toBeVisible();
    await expect(patient.locator('[data-test="consult-ended"]')).toBeVisible();
    // The chat stays readable after the end.
    await expect(doctor.locator('[data-test="chat-message"]')).toHaveCount(2);
    await doctorContext.close();
    await patientContext.close();
  });

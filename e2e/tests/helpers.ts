import { expect, Page } from '@playwright/test';

export const PASSWORD = 'a long enough password';

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until the WebAssembly app has rendered its header. */
export async function openApp(page: Page, path = '/') {
  await page.goto(path);
  await expect(page.getByRole('link', { name: 'MediConnect' })).toBeVisible();
}

export async function registerPatient(page: Page, name: string, email: string) {
  await openApp(page, '/register');
  await page.getByLabel('Patient').check();
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/profile$/);
}

/** Fills in and submits the sign-in form, without waiting for the outcome. */
export async function submitSignIn(page: Page, email: string, password = PASSWORD) {
  await openApp(page, '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Signs in and waits until the app shows the signed-in header, so the session cookie
 * is stored before the test navigates away (a `goto` right after the click can cancel
 * the login request).
 */
export async function signIn(page: Page, email: string, password = PASSWORD) {
  await submitSignIn(page, email, password);
  // Attached rather than visible: on a phone it is inside the closed menu.
  await expect(page.getByRole('button', { name: 'Sign out', includeHidden: true })).toBeAttached();
}

/** Follows a link of the main navigation, opening the menu first on a phone. */
export async function goTo(page: Page, name: string) {
  const menu = page.getByRole('button', { name: 'Menu' });
  if (await menu.isVisible()) {
    await menu.click();
  }
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name, exact: true })
    .click();
}

/** The subject of the email that confirms an address. */
export const CONFIRMATION_SUBJECT = 'Confirm your MediConnect email address';

/** The confirmation link in the newest confirmation email to `email`. */
export async function confirmationLink(email: string): Promise<string> {
  const mail = await readMail(email, CONFIRMATION_SUBJECT);
  const link = mail.text.match(/https?:\/\/\S+\/verify-email#token=[\w-]+/)?.[0];
  expect(link, mail.text).toBeTruthy();
  return link!;
}

/**
 * Registers an account through the API (faster than the form) and returns its email.
 * Its address is confirmed with the link from the email, as its owner would, unless
 * `confirm` is false.
 */
export async function registerViaApi(
  request: import('@playwright/test').APIRequestContext,
  role: 'DOCTOR' | 'PATIENT',
  name: string,
  specialization?: string,
  confirm = true,
): Promise<string> {
  const email = uniqueEmail(role.toLowerCase());
  const res = await request.post('/api/auth/register', {
    data: { name, email, password: PASSWORD, role, specialization },
  });
  expect(res.status()).toBe(201);
  if (confirm) {
    await confirmViaApi(request, email);
  }
  if (role === 'DOCTOR' && confirm) {
    await approveViaApi(request, email);
  }
  return email;
}

/** A patient's access token. */
export async function tokenFor(
  request: import('@playwright/test').APIRequestContext,
  email: string,
): Promise<string> {
  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status()).toBe(200);
  return (await login.json()).token;
}

/**
 * A doctor (without hours: any time is bookable) and a patient with an appointment
 * with them `days` ahead at `hour`:00 UTC, all through the API.
 */
export async function bookedPair(
  request: import('@playwright/test').APIRequestContext,
  doctorName: string,
  patientName: string,
  days: number,
  hour: number,
) {
  const doctorEmail = await registerViaApi(request, 'DOCTOR', doctorName, 'General Practice');
  const patientEmail = await registerViaApi(request, 'PATIENT', patientName);
  const token = await tokenFor(request, patientEmail);
  const found = await (
    await request.get(`/api/doctors?q=${encodeURIComponent(doctorName)}`)
  ).json();
  const start = new Date(Date.now() + days * 86_400_000);
  start.setUTCHours(hour, 0, 0, 0);
  const booked = await request.post('/api/appointments', {
    headers: { Authorization: `Bearer ${token}` },
    data: { doctorId: found.doctors[0].id, scheduledFor: start.toISOString() },
  });
  expect(booked.status()).toBe(201);
  return { doctorEmail, patientEmail, token, start };
}

export const ADMIN_EMAIL = process.env.ADMIN_EMAIL ?? 'admin@e2e.mediconnect.test';
export const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? 'e2e admin password';

/** An admin approves the doctor with this address, through the API. */
export async function approveViaApi(
  request: import('@playwright/test').APIRequestContext,
  email: string,
) {
  const login = await request.post('/api/auth/login', {
    data: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  expect(login.status()).toBe(200);
  const headers = { Authorization: `Bearer ${(await login.json()).token}` };
  const queue = await request.get('/api/admin/doctors?approval=PENDING&limit=100', { headers });
  expect(queue.status()).toBe(200);
  const doctor = (await queue.json()).doctors.find((d: { email: string }) => d.email === email);
  expect(doctor, `${email} in the approval queue`).toBeTruthy();
  const approved = await request.post(`/api/admin/doctors/${doctor.id}/approve`, { headers });
  expect(approved.status()).toBe(200);
}

/** Confirms `email` with the token of the link its owner was sent, through the API. */
export async function confirmViaApi(
  request: import('@playwright/test').APIRequestContext,
  email: string,
) {
  const token = (await confirmationLink(email)).split('#token=')[1];
  const confirmed = await request.post('/api/auth/verify-email', { data: { token } });
  expect(confirmed.status()).toBe(204);
}

/** An email the app sent, as the test SMTP server received it. */
export interface Mail {
  subject: string;
  /** The plain-text part, decoded. */
  text: string;
}

/** Undoes quoted-printable encoding (soft line breaks and `=XX` bytes), as UTF-8. */
function decodeQuotedPrintable(body: string): string {
  const joined = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Waits (up to 15 s) for an email to `to` whose subject contains `subject`, from the
 * test SMTP server's folder (MAIL_DIR, set by `cargo xtask test`).
 */
export async function readMail(to: string, subject: string): Promise<Mail> {
  const fs = await import('fs');
  const path = await import('path');
  const dir = process.env.MAIL_DIR;
  if (!dir) {
    throw new Error('MAIL_DIR is not set: run the browser tests with `cargo xtask test`');
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')) : [];
    for (const file of files.sort().reverse()) {
      const raw = fs.readFileSync(path.join(dir, file), 'utf8');
      const [head, ...rest] = raw.split(/\r?\n\r?\n/);
      const subjectLine = head.match(/^Subject: (.*)$/m)?.[1] ?? '';
      const toLine = head.match(/^To: (.*)$/m)?.[1] ?? '';
      if (!toLine.includes(to) || !subjectLine.includes(subject)) {
        continue;
      }
      // The first text/plain part of the multipart message.
      const body = rest.join('\n\n');
      const plain = body.split(/Content-Type: text\/plain[^\n]*\n/i)[1] ?? body;
      const part = plain.split(/\r?\n--/)[0];
      return { subject: subjectLine, text: decodeQuotedPrintable(part) };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no email to ${to} with "${subject}" within 15 s`);
}

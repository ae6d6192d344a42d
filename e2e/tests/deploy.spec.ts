import { expect, Page, test } from '@playwright/test';
import { ChildProcess, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

// A tab opened before a deploy, which then opens a page it has not shown yet: its
// module is gone (every file is named after its content). The app reloads itself into
// the new version at the same address, once, and says so if that fails too.
//
// Each test serves the built web app (build A) from a folder of its own with a server
// of its own, then puts build B in its place. B is A with every content-hashed name
// changed, and every reference and integrity hash to match: to the browser, another
// build, whose files A's tab cannot find.

const dist = process.env.DIST_DIR ?? '';
const bin = process.env.MEDICONNECT_BIN ?? '';

/** A server of the test's own, on `dir` as STATIC_DIR. */
async function serve(dir: string): Promise<{ url: string; server: ChildProcess }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'mediconnect-deploy-'));
  const server = spawn(bin, ['serve'], {
    cwd: state,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${path.join(state, 'db.sqlite')}`,
      BIND_ADDR: `127.0.0.1:${port}`,
      STATIC_DIR: dir,
      DATA_DIR: path.join(state, 'data'),
      BCRYPT_COST: '4',
      API_RATE_LIMIT_PER_MINUTE: '0',
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      RUST_LOG: 'warn',
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) return { url, server };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  server.kill();
  throw new Error('the test server did not start');
}

const HASH = /-([0-9a-f]{15,16})(?=[._])/g;

/** Every content hash in the file names of `dir`, each mapped to another of its length. */
function renamedHashes(dir: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of fs.readdirSync(dir)) {
    for (const m of name.matchAll(HASH)) {
      const next = [...m[1]].map((c) => ((parseInt(c, 16) + 1) % 16).toString(16)).join('');
      map.set(m[1], next);
    }
  }
  return map;
}

function replaceAll(bytes: Buffer, map: Map<string, string>): Buffer {
  const out = Buffer.from(bytes);
  for (const [from, to] of map) {
    const a = Buffer.from(from);
    const b = Buffer.from(to);
    for (let at = out.indexOf(a); at >= 0; at = out.indexOf(a, at + b.length)) {
      b.copy(out, at);
    }
  }
  return out;
}

/** Build B of the build in `a`, written to a new folder. */
function anotherBuild(a: string): string {
  const b = fs.mkdtempSync(path.join(os.tmpdir(), 'mediconnect-build-b-'));
  const map = renamedHashes(a);
  expect(map.size).toBeGreaterThan(2);
  for (const name of fs.readdirSync(a)) {
    // The precompressed twins would hold the old names: B serves the plain files.
    if (name.endsWith('.br') || name.endsWith('.gz')) continue;
    if (!fs.statSync(path.join(a, name)).isFile()) continue;
    let renamed = name;
    for (const [from, to] of map) renamed = renamed.split(from).join(to);
    fs.writeFileSync(path.join(b, renamed), replaceAll(fs.readFileSync(path.join(a, name)), map));
  }
  // The integrity hashes in index.html follow the files' new content.
  const indexPath = path.join(b, 'index.html');
  const html = fs.readFileSync(indexPath, 'utf8').replace(/<(link|script)\b[^>]*>/g, (tag) => {
    const ref = tag.match(/\b(?:href|src)="\/?([^"]+)"/);
    if (!ref || !/\bintegrity="/.test(tag) || !fs.existsSync(path.join(b, ref[1]))) return tag;
    const digest = crypto
      .createHash('sha384')
      .update(fs.readFileSync(path.join(b, ref[1])))
      .digest('base64');
    return tag.replace(/\bintegrity="[^"]*"/, `integrity="sha384-${digest}"`);
  });
  fs.writeFileSync(indexPath, html);
  return b;
}

/** Puts the files of `from` in place of those of `to`, as a deploy does. */
function deploy(from: string, to: string) {
  for (const name of fs.readdirSync(to))
    fs.rmSync(path.join(to, name), { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}

function copyOfBuildA(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediconnect-build-a-'));
  fs.cpSync(dist, dir, { recursive: true });
  return dir;
}

/** The main script of the build the page runs. */
async function runningBuild(page: Page): Promise<string> {
  const html = await page.evaluate(() => document.documentElement.innerHTML);
  return html.match(/mediconnect-frontend-[0-9a-f]+\.js/)?.[0] ?? '';
}

const signInLink = (page: Page) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' });

test.describe('after a deploy', () => {
  test.skip(!dist || !bin, 'needs DIST_DIR and MEDICONNECT_BIN, which cargo xtask test sets');

  let server: ChildProcess | undefined;
  test.afterEach(() => server?.kill());

  test('an open tab reloads itself into the new version at the same address', async ({ page }) => {
    const live = copyOfBuildA();
    const started = await serve(live);
    server = started.server;
    await page.goto(`${started.url}/`);
    await expect(page.getByRole('heading', { name: 'Online now' })).toBeVisible();
    const a = await runningBuild(page);
    expect(a).not.toBe('');

    const b = anotherBuild(live);
    deploy(b, live);
    let loads = 0;
    page.on('load', () => loads++);
    await signInLink(page).click();
    // The new version, on the page asked for.
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible({ timeout: 15_000 });
    await expect(page).toHaveURL(`${started.url}/login`);
    expect(loads).toBe(1);
    const now = await runningBuild(page);
    expect(now).not.toBe(a);
    expect(fs.existsSync(path.join(live, now))).toBe(true);
  });

  test('if the new version fails too, the page says so and does not reload again', async ({
    page,
  }) => {
    const live = copyOfBuildA();
    const started = await serve(live);
    server = started.server;
    await page.goto(`${started.url}/`);
    await expect(page.getByRole('heading', { name: 'Online now' })).toBeVisible();
    deploy(anotherBuild(live), live);
    // The new version's sign-in module cannot be fetched either.
    await page.route(/\/split_login_page-[0-9a-f]+\.wasm$/, (route) => route.abort());
    let loads = 0;
    page.on('load', () => loads++);
    await signInLink(page).click();
    await expect(page.getByRole('alert')).toContainText('MediConnect was updated', {
      timeout: 15_000,
    });
    await page.waitForTimeout(1_000);
    expect(loads).toBe(1);
  });
});

// The kiosk (自助终端) as a hall runs it: a touch terminal pairs from its own
// keypad, citizens rate without typing, elderly mode enlarges everything, an
// untouched screen returns to the start; through a network cut *and* a server
// that is down, ratings wait on the terminal (across a reload), and when the
// network returns the queue is sent and stored exactly once — even when an
// acknowledgement is lost on the way and the rating is resent.
//
// Each database gets its own server, started here from the real binary, so
// the test can stop and restart it: SQLite and PostgreSQL (a fresh database
// made by scripts/test.sh, HAOCHA_E2E_PG_DATABASE_URL).
const { test, expect, request } = require('@playwright/test');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { createAccount, signIn } = require('./helpers');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.HAOCHA_BIN;
const DATA_KEY = 'ab'.repeat(32);

const backends = [
  { name: 'sqlite', port: 3111, db: () => `sqlite://${fs.mkdtempSync(path.join(os.tmpdir(), 'haocha-kiosk-'))}/kiosk.db?mode=rwc` },
  { name: 'postgres', port: 3112, db: () => process.env.HAOCHA_E2E_PG_DATABASE_URL },
];

function serverEnv(b) {
  return { ...process.env, HAOCHA_DATABASE_URL: b.url, HAOCHA_DATA_KEY: DATA_KEY, HAOCHA_ADDR: `127.0.0.1:${b.port}`,
    HAOCHA_PUBLIC_URL: `http://127.0.0.1:${b.port}`, RUST_LOG: 'warn' };
}

async function answers(port) {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`)).ok;
  } catch (_) {
    return false;
  }
}

async function startServer(b) {
  if (await answers(b.port)) throw new Error(`port ${b.port} is taken by another process: stop it first`);
  const proc = spawn(BIN, ['serve'], { cwd: ROOT, env: serverEnv(b), stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`the ${b.name} server exited with ${proc.exitCode}`);
    if (await answers(b.port)) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the ${b.name} server did not start`);
}

async function stopServer(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

const screen = (page) => page.locator('main.k-main');

async function tapLevel(page, label) {
  await page.locator('label.level').filter({ has: page.locator('.text', { hasText: new RegExp(`^${label}$`) }) }).tap();
}

for (const b of backends) {
  test.describe(`kiosk on ${b.name}`, () => {
    test.use({ baseURL: `http://127.0.0.1:${b.port}` });
    let server;

    test.beforeAll(async () => {
      expect(BIN, 'HAOCHA_BIN is set by scripts/test.sh').toBeTruthy();
      b.url = b.db();
      expect(b.url, `${b.name}: scripts/test.sh sets HAOCHA_E2E_PG_DATABASE_URL to a fresh database`).toBeTruthy();
      execFileSync(BIN, ['demo'], { cwd: ROOT, env: serverEnv(b), stdio: ['ignore', 'ignore', 'ignore'] });
      server = await startServer(b);
    });
    test.afterAll(async () => { if (server) await stopServer(server); });

    test('pair, rate by touch, keep ratings through an outage and a reload, send each once', async ({ browser, page }) => {
      test.setTimeout(120_000);
      // An administrator shows a pairing code for window W01.
      const job = `kadm-${b.name}`;
      await signIn(page, job, createAccount('center_admin', '210100', job, { HAOCHA_DATABASE_URL: b.url, HAOCHA_DATA_KEY: DATA_KEY }));
      await page.goto('/admin/devices/W01');
      // A hall-wide kiosk is the center's to pair (issue 13 item 2).
      await page.getByRole('button', { name: '自助终端配对码（全大厅）' }).click();
      const code = (await page.locator('#pairing-code').textContent()).trim();

      // The terminal: touch only, its own browser.
      const ctx = await browser.newContext({ hasTouch: true, viewport: { width: 1280, height: 800 }, locale: 'zh-CN',
        baseURL: `http://127.0.0.1:${b.port}` });
      const kiosk = await ctx.newPage();
      const answers = [];
      kiosk.on('response', (r) => { if (r.url().endsWith('/device/api/ratings')) answers.push(r.status()); });
      await kiosk.goto('/device/app/');
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'pair');
      await expect(kiosk.getByRole('heading', { name: '终端配对' })).toBeVisible();
      for (const d of '00000000') await kiosk.locator('.k-key', { hasText: new RegExp(`^${d}$`) }).tap();
      await kiosk.getByRole('button', { name: '配对', exact: true }).tap();
      await expect(kiosk.getByRole('alert')).toContainText('配对码无效或已过期');
      for (const d of code) await kiosk.locator('.k-key', { hasText: new RegExp(`^${d}$`) }).tap();
      await kiosk.getByRole('button', { name: '配对', exact: true }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'start');
      await expect(kiosk.locator('.k-hall')).toHaveText('沈阳市政务服务中心');
      await expect(kiosk.locator('.k-choice')).toHaveCount(7); // six windows and the hall
      // The service worker holds the shell before the network is cut.
      await kiosk.evaluate(() => navigator.serviceWorker.ready.then(() => true));

      // Online: a window, a level, submit — no typing.
      await kiosk.locator('.k-choice', { hasText: '2号窗口' }).tap();
      await expect(kiosk.getByRole('heading', { name: '2号窗口 综合受理 · W02' })).toBeVisible();
      await kiosk.getByRole('button', { name: '提交评价' }).tap();
      await expect(kiosk.getByRole('alert')).toHaveText('请选择一项评价。');
      await tapLevel(kiosk, '非常满意');
      await kiosk.getByRole('button', { name: '提交评价' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'thanks');
      await expect(kiosk.locator('.k-thanks')).not.toHaveAttribute('data-queued', 'true');
      await expect(kiosk.locator('.k-foot')).toContainText('本机今日已评价 1 条');
      await kiosk.getByRole('button', { name: '完成' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'start');

      // The network is cut and the server goes down.
      await ctx.setOffline(true);
      await stopServer(server);
      await kiosk.locator('.k-choice', { hasText: '对大厅整体评价' }).tap();
      await tapLevel(kiosk, '不满意');
      await kiosk.getByRole('button', { name: '提交评价' }).tap();
      await expect(kiosk.getByRole('alert')).toHaveText('差评请至少选择一项原因。');
      await kiosk.locator('label.tag').first().tap();
      await kiosk.getByRole('button', { name: '提交评价' }).tap();
      await expect(kiosk.locator('.k-thanks')).toHaveAttribute('data-queued', 'true');
      await expect(kiosk.locator('.k-thanks')).toContainText('评价已保存在本机');
      await kiosk.getByRole('button', { name: '完成' }).tap();
      await kiosk.locator('.k-choice', { hasText: '5号窗口' }).tap();
      await tapLevel(kiosk, '满意');
      await kiosk.getByRole('button', { name: '提交评价' }).tap();
      await expect(kiosk.locator('.k-thanks')).toHaveAttribute('data-queued', 'true');
      await expect(kiosk.locator('.k-status')).toHaveText('网络中断 · 待发送 2');

      // The browser restarts while everything is down: the shell comes from the
      // service worker, the queue from storage.
      await kiosk.reload();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'start');
      await expect(kiosk.locator('.k-hall')).toHaveText('沈阳市政务服务中心');
      await expect(kiosk.locator('.k-status')).toContainText('待发送 2');
      expect(await kiosk.evaluate(() => JSON.parse(localStorage.getItem('haocha.kiosk.queue')).length)).toBe(2);

      // Back up. The first acknowledgement is lost on the way (the server
      // stored the rating, the terminal never heard): it is sent again.
      let lost = false;
      await kiosk.route('**/device/api/ratings', async (route) => {
        if (!lost) {
          lost = true;
          await route.fetch();
          await route.abort('connectionreset');
        } else {
          await route.continue();
        }
      });
      server = await startServer(b);
      await ctx.setOffline(false);
      await expect(kiosk.locator('.k-status')).toHaveText('在线', { timeout: 30_000 });
      await expect(kiosk.locator('.k-foot')).toContainText('本机今日已评价 3 条');
      expect(await kiosk.evaluate(() => localStorage.getItem('haocha.kiosk.queue'))).toBe('[]');
      expect(lost).toBe(true);
      expect(answers.filter((s) => s === 201)).toHaveLength(2); // online first, then one of the queue (the lost one's 201 never reached the page)
      expect(answers.filter((s) => s === 200)).toHaveLength(1); // the resend: already stored

      // The server's own count for this terminal: exactly three.
      const state = await ctx.storageState();
      const api = await request.newContext({ baseURL: `http://127.0.0.1:${b.port}`, storageState: state });
      const setup = await (await api.get('/device/api/kiosk')).json();
      expect(setup.rated_today).toBe(3);
      await api.dispose();
      await ctx.close();
    });

    test('elderly mode and idle reset', async ({ browser, page }) => {
      const job = `kadm2-${b.name}`;
      await signIn(page, job, createAccount('center_admin', '210100', job, { HAOCHA_DATABASE_URL: b.url, HAOCHA_DATA_KEY: DATA_KEY }));
      await page.goto('/admin/devices/W02');
      // A hall-wide kiosk is the center's to pair (issue 13 item 2).
      await page.getByRole('button', { name: '自助终端配对码（全大厅）' }).click();
      const code = (await page.locator('#pairing-code').textContent()).trim();
      const ctx = await browser.newContext({ hasTouch: true, viewport: { width: 1024, height: 768 }, locale: 'zh-CN',
        baseURL: `http://127.0.0.1:${b.port}` });
      const kiosk = await ctx.newPage();
      await kiosk.clock.install();
      await kiosk.goto('/device/app/');
      for (const d of code) await kiosk.locator('.k-key', { hasText: new RegExp(`^${d}$`) }).tap();
      await kiosk.getByRole('button', { name: '配对', exact: true }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'start');

      // Zoom stays allowed (axe meta-viewport; issue 13 item 17): no user-scalable=no, no maximum-scale.
      const viewport = await kiosk.locator('meta[name="viewport"]').getAttribute('content');
      expect(viewport).toContain('width=device-width');
      expect(viewport).not.toMatch(/user-scalable\s*=\s*(no|0)|maximum-scale/);

      // Ordinary mode: every target at least 44 × 44.
      const targets = async () => kiosk.evaluate(() => [...document.querySelectorAll('button, label.level, label.tag, summary')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => { const r = e.getBoundingClientRect(); return { t: e.textContent.trim(), w: r.width, h: r.height }; }));
      for (const t of await targets()) expect(Math.min(t.w, t.h), t.t).toBeGreaterThanOrEqual(44);

      // Elderly mode (MIIT 2021): body ≥ 18 px, headline ≥ 30 px, line height ≥ 1.3,
      // contrast ≥ 4.5:1, targets ≥ 60 × 60 — on the start and the rating screen.
      await kiosk.getByRole('button', { name: '长辈模式' }).tap();
      await expect(kiosk.getByRole('button', { name: '长辈模式' })).toHaveAttribute('aria-pressed', 'true');
      const check = async () => {
        const m = await kiosk.evaluate(() => {
          const lum = (c) => {
            const [r, g, b] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
              v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const bg = (e) => {
            for (let x = e; x; x = x.parentElement) {
              const c = getComputedStyle(x).backgroundColor;
              if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c;
            }
            return 'rgb(255, 255, 255)';
          };
          const ratio = (e) => {
            const a = lum(getComputedStyle(e).color), b = lum(bg(e));
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          };
          const texts = [...document.querySelectorAll('.kiosk p, .kiosk span, .kiosk button, .kiosk h1, .kiosk .k-foot, .kiosk summary, .kiosk legend')]
            .filter((e) => e.offsetParent !== null && e.textContent.trim());
          const h1 = document.querySelector('.kiosk h1');
          return {
            smallest: Math.min(...texts.map((e) => parseFloat(getComputedStyle(e).fontSize))),
            h1: parseFloat(getComputedStyle(h1).fontSize),
            line: Math.min(...texts.map((e) => { const s = getComputedStyle(e); return parseFloat(s.lineHeight) / parseFloat(s.fontSize); })),
            contrast: Math.min(...texts.map(ratio)),
            tightest: texts.map((e) => { const s = getComputedStyle(e); return [e.textContent.trim().slice(0, 20), s.lineHeight, s.fontSize]; })
              .sort((a, b) => (parseFloat(a[1]) / parseFloat(a[2]) || 0) - (parseFloat(b[1]) / parseFloat(b[2]) || 0))[0],
            worst: texts.map((e) => [e.textContent.trim().slice(0, 20), ratio(e)]).sort((a, b) => a[1] - b[1])[0],
          };
        });
        expect(m.smallest).toBeGreaterThanOrEqual(18);
        expect(m.h1).toBeGreaterThanOrEqual(30);
        expect(m.line, JSON.stringify(m.tightest)).toBeGreaterThanOrEqual(1.3);
        expect(m.contrast, JSON.stringify(m.worst)).toBeGreaterThanOrEqual(4.5);
        for (const t of await targets()) expect(Math.min(t.w, t.h), t.t).toBeGreaterThanOrEqual(60);
      };
      await check();
      await kiosk.locator('.k-choice', { hasText: '1号窗口' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'rate');
      await tapLevel(kiosk, '不满意');
      await check();
      // The switch is remembered across a restart.
      await kiosk.reload();
      await expect(kiosk.locator('.kiosk')).toHaveClass(/elder/);

      // Idle reset: someone who keeps touching is never interrupted; a screen
      // left alone for a minute returns to the start.
      await kiosk.locator('.k-choice', { hasText: '1号窗口' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'rate');
      await kiosk.clock.fastForward(45_000);
      await tapLevel(kiosk, '满意');
      await kiosk.clock.fastForward(45_000);
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'rate');
      await expect(kiosk.locator('label.level:has(input:checked) .text')).toHaveText('满意');
      await kiosk.clock.fastForward(20_000);
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'start');
      await ctx.close();
    });

    // Issue 13 item 6 (004 第五条): where the region requires real names, the
    // citizen proves a phone by SMS code at the kiosk before rating. Runs last:
    // it turns the rule on for 沈阳 in this backend's own database.
    test('a real-name region asks for a phone and an SMS code before the rating', async ({ browser, page }) => {
      test.setTimeout(90_000);
      const job = `kadm3-${b.name}`;
      await signIn(page, job, createAccount('system_admin', null, job, { HAOCHA_DATABASE_URL: b.url, HAOCHA_DATA_KEY: DATA_KEY }));
      await page.goto('/admin/policies/210100');
      await page.locator('select[name="real_name"]').selectOption('required');
      await page.getByRole('button', { name: '保存' }).click();
      await expect(page.locator('select[name="real_name"]')).toHaveValue('required');
      await page.goto('/admin/devices/W03');
      await page.getByRole('button', { name: '自助终端配对码（全大厅）' }).click();
      const code = (await page.locator('#pairing-code').textContent()).trim();

      const ctx = await browser.newContext({ hasTouch: true, viewport: { width: 1280, height: 800 }, locale: 'zh-CN',
        baseURL: `http://127.0.0.1:${b.port}` });
      const kiosk = await ctx.newPage();
      await kiosk.goto('/device/app/');
      for (const d of code) await kiosk.locator('.k-key', { hasText: new RegExp(`^${d}$`) }).tap();
      await kiosk.getByRole('button', { name: '配对', exact: true }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'start');
      await kiosk.locator('.k-choice', { hasText: '3号窗口' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'verify');
      await kiosk.locator('input[name="phone"]').fill('13900139000');
      await kiosk.getByRole('button', { name: '获取短信验证码' }).tap();
      await expect(kiosk.getByRole('alert')).toContainText('验证码已发送至 139****9000');

      // The code, as the SMS outbox (system administrators only) holds it.
      await page.goto('/admin/outbox');
      const sms = await page.locator('td.sms-body', { hasText: '评价验证码' }).first().textContent();
      const sent = sms.match(/(\d{6})/)[1];
      await kiosk.locator('input[name="code"]').fill(sent === '000000' ? '111111' : '000000');
      await kiosk.getByRole('button', { name: '验证并评价' }).tap();
      await expect(kiosk.getByRole('alert')).toContainText('还可尝试 4 次');
      await kiosk.locator('input[name="code"]').fill(sent);
      await kiosk.getByRole('button', { name: '验证并评价' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'rate');
      await tapLevel(kiosk, '非常不满意');
      await kiosk.locator('label.tag').first().tap();
      await kiosk.getByRole('button', { name: '提交评价' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'thanks');
      await expect(kiosk.locator('.k-thanks')).not.toHaveAttribute('data-queued', 'true');
      expect(await kiosk.evaluate(() => localStorage.getItem('haocha.kiosk.rejected') || '[]')).toBe('[]');
      // The next citizen proves their own phone again.
      await kiosk.getByRole('button', { name: '完成' }).tap();
      await kiosk.locator('.k-choice', { hasText: '3号窗口' }).tap();
      await expect(screen(kiosk)).toHaveAttribute('data-screen', 'verify');
      await ctx.close();
    });
  });
}

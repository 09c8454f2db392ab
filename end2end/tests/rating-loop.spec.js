// The product's spine, as people use it: a business system reports a case,
// the window screen shows its QR, a phone scans it and rates, the API shows
// the rating. Runs with JavaScript on and off (see playwright.config.js).
const { test, expect, request } = require('@playwright/test');
const { PNG } = require('pngjs');
const jsQR = require('jsqr');

const { createAccount, unique, signIn } = require('./helpers');

const KEY = process.env.HAOCHA_E2E_KEY;

async function api() {
  return request.newContext({
    baseURL: process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107',
    extraHTTPHeaders: { Authorization: `Bearer ${KEY}` },
  });
}

async function reportCase(ctx, windowCode, staff) {
  const caseNumber = `E2E-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const res = await ctx.post('/api/v1/cases', {
    data: {
      case_number: caseNumber,
      item_code: '11210100MB0003-001',
      window_code: windowCode,
      staff_number: staff,
      applicant_phone: '13800138000',
      real_name: true,
      completed_at: new Date().toISOString(),
    },
  });
  expect(res.status()).toBe(201);
  return { caseNumber, ...(await res.json()) };
}

function decodeQr(png) {
  const img = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(img.data), img.width, img.height);
  expect(code, 'the QR code on the screen decodes').not.toBeNull();
  return code.data;
}

test('a case reported at a window is scanned from its screen, rated on a phone and read back', async ({ browser, page }, info) => {
  expect(KEY, 'HAOCHA_E2E_KEY is set by scripts/test.sh').toBeTruthy();
  const jsOn = info.project.name === 'js-on';
  const windowCode = jsOn ? 'W04' : 'W05';
  const ctx = await api();

  // The window's screen is paired once with a code from its unit's administrator;
  // unpaired, it asks for pairing and shows no rating link.
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  const adminJob = unique(info, 'sadm');
  await signIn(admin, adminJob, createAccount('unit_admin', jsOn ? 'U-FUND' : 'U-LAND', adminJob));
  await admin.goto(`/admin/devices/${windowCode}`);
  await admin.getByRole('button', { name: '生成配对码' }).click();
  const pairing = (await admin.locator('#pairing-code').textContent()).trim();
  await page.goto(`/w/${windowCode}/screen`);
  await expect(page).toHaveURL(/\/device\/pair\?for=screen$/);
  await expect(page.locator('h1')).toHaveText('窗口屏配对');
  await page.getByLabel('配对码').fill(pairing);
  await page.getByRole('button', { name: '配对' }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${windowCode}/screen$`));

  // The screen is open before the case completes, as at a real window.
  await reportCase(ctx, windowCode, 'S1004');
  await page.reload();
  await expect(page.locator('.scan')).toHaveText('扫码评价');
  if (jsOn) await expect(page.locator('.live.on')).toBeVisible();
  const before = await page.locator('.qr').getAttribute('data-url');

  const created = await reportCase(ctx, windowCode, 'S1004');
  // It changes by itself: server push with wasm, a refresh without.
  await expect(page.locator('.qr')).toHaveAttribute('data-url', created.rating_url, { timeout: 5000 });
  expect(created.rating_url).not.toBe(before);
  await expect(page.locator('.screen-facts')).toContainText('住房公积金提取');
  await expect(page.locator('.screen-facts')).toContainText('刘洋');
  await expect(page.locator('.screen-facts')).toContainText('S1004');

  const scanned = decodeQr(await page.locator('.qr svg').screenshot());
  expect(scanned).toBe(created.rating_url);

  // The citizen's phone.
  const phone = await browser.newContext({
    viewport: { width: 375, height: 667 },
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled: jsOn,
    locale: 'zh-CN',
  });
  const p = await phone.newPage();
  await p.goto(scanned);
  await expect(p.locator('h1')).toHaveText('请对本次服务进行评价');
  await expect(p.locator('.case')).toContainText('住房公积金提取');
  await expect(p.locator('.case')).toContainText('刘洋');
  const levels = p.locator('input[name=level]');
  await expect(levels).toHaveCount(5);
  for (let i = 0; i < 5; i++) await expect(levels.nth(i)).not.toBeChecked();
  await expect(p.locator('label.level:has(input[name=level])')).toHaveText([/非常满意/, /^\S*\s*满意/, /基本满意/, /^\S*\s*不满意/, /非常不满意/]);

  if (jsOn) {
    await expect(p.locator('form.rating-form')).toHaveAttribute('data-hydrated', 'true');
    await p.evaluate(() => { window.__stillHere = true; });
  }

  // A bad rating without a reason is refused, on the page or by the server.
  await p.locator('label.level:has(input[name="level"][value="dissatisfied"])').click();
  await p.locator('button.submit').click();
  await expect(p.locator('.error')).toContainText('至少选择一项原因');

  // With a reason it is sent.
  await p.locator('label.tag:has(input[name="tags"][value="efficiency"])').click();
  await p.locator('textarea[name=comment]').fill('排队时间较长');
  await p.locator('button.submit').click();
  await expect(p.locator('.result.ok')).toBeVisible();
  await expect(p.locator('.result.ok h1, .result.ok h2')).toContainText('评价成功');
  await expect(p.locator('form.rating-form')).toBeHidden();
  if (jsOn) {
    // Hydrated: the answer came without a page load.
    expect(await p.evaluate(() => window.__stillHere)).toBe(true);
  }

  // The business system reads it back.
  let found;
  let after = '';
  for (;;) {
    const res = await ctx.get(`/api/v1/ratings?limit=500${after ? `&after=${after}` : ''}`);
    expect(res.status()).toBe(200);
    const body = await res.json();
    found = found || body.ratings.find((r) => r.case_number === created.caseNumber);
    if (!body.next) break;
    after = body.next;
  }
  expect(found).toBeTruthy();
  expect(found.level).toBe('dissatisfied');
  expect(found.score).toBe(3);
  expect(found.channel).toBe('dynamic_qr');
  expect(found.target).toBe('item');
  expect(found.tags).toEqual(['efficiency']);
  expect(found.comment).toBe('排队时间较长');
  expect(found.applicant_phone).toBe('138****8000');

  // Scanning again shows it was rated; the screen thanks the citizen.
  await p.goto(scanned);
  await expect(p.locator('h1')).toHaveText('已评价');
  await expect(page.locator('.screen-thanks')).toBeVisible({ timeout: 5000 });
  await phone.close();
});

test('the rating page speaks English on request and keeps working', async ({ page }) => {
  const ctx = await api();
  const created = await reportCase(ctx, 'W06', 'S1006');
  await page.goto(`${created.rating_url}?lang=en`);
  await expect(page.locator('h1')).toHaveText('Please rate the service you received');
  await expect(page.locator('label.level')).toHaveCount(10); // item and staff member
  await page.locator('label.level:has(input[name="level"][value="very_satisfied"])').click();
  await page.locator('label.level:has(input[name="staff_level"][value="satisfied"])').click();
  await page.locator('button.submit').click();
  await expect(page.locator('.result.ok')).toBeVisible();
  await expect(page.locator('.result.ok')).toContainText('Thank you');
  const res = await ctx.get('/api/v1/ratings?limit=500');
  const mine = (await res.json()).ratings.filter((r) => r.case_number === created.caseNumber);
  expect(mine.map((r) => [r.target, r.level]).sort()).toEqual([['item', 'very_satisfied'], ['staff', 'satisfied']]);
});

test('the rating page loads its stylesheet, script and wasm by content-hashed names, cached for a year', async ({ page }, info) => {
  const ctx = await api();
  const created = await reportCase(ctx, 'W06', 'S1006');
  const assets = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/pkg/')) assets.push(r);
  });
  await page.goto(created.rating_url, { waitUntil: 'networkidle' });
  await expect(page.locator('h1')).toHaveText('请对本次服务进行评价');
  const css = await page.locator('head link[rel="stylesheet"]').first().getAttribute('href');
  expect(css).toMatch(/^\/pkg\/haocha\.[0-9a-f]{16}\.css$/);
  const paths = assets.map((r) => new URL(r.url()).pathname);
  expect(paths).toContain(css);
  if (info.project.name === 'js-on') {
    // Leptos' hydration script asks for the pair under one hashed name.
    expect(paths.some((p) => /^\/pkg\/haocha\.[0-9a-f]{16}\.js$/.test(p)), paths.join(' ')).toBe(true);
    expect(paths.some((p) => /^\/pkg\/haocha\.[0-9a-f]{16}\.wasm$/.test(p)), paths.join(' ')).toBe(true);
  }
  for (const r of assets) {
    expect(r.status(), r.url()).toBe(200);
    expect(r.headers()['cache-control'], r.url()).toBe('public, max-age=31536000, immutable');
  }
});

test('an unknown rating link gets a readable 404 page', async ({ page }) => {
  const res = await page.goto('/r/not-a-real-token');
  expect(res.status()).toBe(404);
  await expect(page.locator('h1')).toHaveText('评价链接无效');
});

// The window evaluator as a hall uses it: an administrator shows a pairing
// code, the tablet enters it once; staff invite a rating from the console; the
// tablet shows the case's rating page, the citizen rates on it, and the
// console learns only that the case was rated.
const { test, expect, request } = require('@playwright/test');

const { createAccount, unique, signIn } = require('./helpers');

test('pair a tablet, invite from the console, rate on the tablet', async ({ browser, page }, info) => {
  const jsOn = info.project.name === 'js-on';
  const window = jsOn ? 'W02' : 'W06';
  const unit = jsOn ? 'U-MARKET' : 'U-POLICE';

  // The administrator shows a pairing code.
  const adminJob = unique(info, 'dadm');
  await signIn(page, adminJob, createAccount('unit_admin', unit, adminJob));
  await page.goto(`/admin/windows/${window}`);
  await page.getByRole('link', { name: '评价器' }).click();
  await page.getByRole('button', { name: '生成配对码' }).click();
  const code = (await page.locator('#pairing-code').textContent()).trim();
  expect(code).toMatch(/^\d{8}$/);

  // The tablet (its own browser context, touch) pairs once.
  const tabletCtx = await browser.newContext({ hasTouch: true, viewport: { width: 1024, height: 768 } });
  const tablet = await tabletCtx.newPage();
  await tablet.goto('/device');
  await expect(tablet).toHaveURL(/\/device\/pair$/);
  await tablet.getByLabel('配对码').fill(code);
  await tablet.getByRole('button', { name: '配对' }).click();
  await expect(tablet).toHaveURL(/\/device$/);
  await expect(tablet.locator('[data-state="idle"]')).toBeVisible();

  // A case completes at the window; staff invite its rating.
  const ctx = await request.newContext({
    baseURL: process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107',
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.HAOCHA_E2E_KEY}` },
  });
  const number = unique(info, 'EV');
  const res = await ctx.post('/api/v1/cases', {
    data: { case_number: number, item_code: '11210100MB0001-002', window_code: window, completed_at: new Date().toISOString() },
  });
  expect(res.status()).toBe(201);
  const staffCtx = await browser.newContext();
  const staff = await staffCtx.newPage();
  const staffJob = unique(info, 'dst');
  await signIn(staff, staffJob, createAccount('window_staff', window, staffJob));
  const row = staff.locator('tr', { hasText: number });
  await row.getByRole('button', { name: '邀请评价' }).click();
  await expect(staff.getByRole('status')).toContainText('已邀请');

  // The tablet shows the rating page (pushed with JS; by its own refresh without).
  const frame = tablet.frameLocator('iframe.device-frame');
  await expect(frame.locator('form.rating-form')).toBeVisible({ timeout: jsOn ? 3000 : 70000 });
  await expect(tablet.locator('.later summary')).toHaveText('稍后在手机上评价');
  await frame.locator('label.level:has(input[name="level"][value="very_satisfied"])').tap();
  await frame.locator('button.submit').tap();
  if (jsOn) {
    // Thanks, then back to the idle screen.
    await expect(tablet.locator('[data-state="thanks"]')).toBeVisible({ timeout: 3000 });
    await expect(tablet.locator('[data-state="idle"]')).toBeVisible({ timeout: 15000 });
  } else {
    await expect(frame.locator('.result.ok')).toBeVisible();
  }

  await staff.reload();
  await expect(row.locator('.rated')).toHaveText('✓ 已评价');
  await expect(staff.getByText('非常满意')).toHaveCount(0);
  await tabletCtx.close();
  await staffCtx.close();
});

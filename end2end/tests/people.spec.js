// Signed-in people, as they use the product: sign-in with a forced first
// password change, a page outside the role's scope, a CSV import exported
// from Excel (GBK) with one bad row, and the window staff console.
// Accounts are created with `haocha user create`, as an operator would.
const { test, expect, request } = require('@playwright/test');
const path = require('path');

const { createAccount, unique, signIn } = require('./helpers');

test('a unit administrator signs in, changes the first password, and is refused another unit', async ({ page }, info) => {
  const job = unique(info, 'ua');
  const first = createAccount('unit_admin', 'U-MARKET', job);

  await page.goto('/login');
  await page.getByLabel('工号').fill(job);
  await page.getByLabel('密码').fill('Wrong-password-1');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('alert')).toContainText('工号或密码不正确');

  await signIn(page, job, first);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { name: '管理首页' })).toBeVisible();
  await expect(page.locator('.who-role')).toHaveText('部门管理员');
  const nav = page.getByRole('navigation', { name: '管理导航' });
  await expect(nav.getByRole('link', { name: '窗口' })).toBeVisible();
  await expect(nav.getByRole('link', { name: '行政区划' })).toHaveCount(0);

  await nav.getByRole('link', { name: '窗口' }).click();
  await expect(page.getByRole('link', { name: 'W01', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'W03', exact: true })).toHaveCount(0);

  // Guessing another unit's window by URL: a readable refusal, status 403.
  const res = await page.goto('/admin/windows/W03');
  expect(res.status()).toBe(403);
  await expect(page.getByRole('heading', { name: '无权访问' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('管理范围');

  await page.getByRole('button', { name: '退出' }).click();
  await expect(page).toHaveURL(/\/login$/);
  const after = await page.goto('/admin');
  await expect(page).toHaveURL(/\/login$/);
  expect(after.status()).toBe(200);
});

test('a GBK CSV from Excel with one bad row imports nothing; fixed, it imports', async ({ page }, info) => {
  const job = unique(info, 'imp');
  await signIn(page, job, createAccount('unit_admin', 'U-MARKET', job));
  await page.goto('/admin/import/staff');
  await expect(page.getByRole('link', { name: '下载模板 CSV' })).toHaveAttribute('href', '/admin/import/staff/template.csv');

  await page.getByLabel('CSV 文件').setInputFiles(path.join(__dirname, '../fixtures/staff-gbk-one-bad-row.csv'));
  await page.getByRole('button', { name: '上传并导入' }).click();
  await expect(page.getByRole('alert')).toContainText('没有导入任何记录');
  const row = page.locator('.import-errors tbody tr').first();
  await expect(row.locator('td').nth(0)).toHaveText('3');
  await expect(row.locator('td').nth(1)).toHaveText('姓名');

  await page.getByLabel('CSV 文件').setInputFiles(path.join(__dirname, '../fixtures/staff-gbk.csv'));
  await page.getByRole('button', { name: '上传并导入' }).click();
  await expect(page.getByRole('status')).toContainText('导入成功');

  await page.goto('/admin/staff?q=E2E90');
  await expect(page.getByRole('cell', { name: '孙悦' })).toBeVisible();
  await expect(page.getByRole('cell', { name: '吴昊' })).toBeVisible();
  await expect(page.getByText('E2E902')).toHaveCount(0);
});

test('window staff see today\'s cases and whether each was rated, never how', async ({ page, browser }, info) => {
  const key = process.env.HAOCHA_E2E_KEY;
  const ctx = await request.newContext({
    baseURL: process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107',
    extraHTTPHeaders: { Authorization: `Bearer ${key}` },
  });
  const number = unique(info, 'CON');
  const res = await ctx.post('/api/v1/cases', {
    data: {
      case_number: number,
      item_code: '11210100MB0005-001',
      window_code: 'W06',
      staff_number: 'S1006',
      applicant_phone: '13800138000',
      completed_at: new Date().toISOString(),
    },
  });
  expect(res.status()).toBe(201);
  const { rating_url } = await res.json();
  // The citizen rates on a phone, with a comment the staff member must not see.
  const phone = await browser.newPage();
  await phone.goto(rating_url);
  await phone.locator('label.level:has(input[name="level"][value="dissatisfied"])').click();
  await phone.locator('label.tag:has(input[name="tags"][value="attitude"])').click();
  await phone.locator('textarea[name=comment]').fill('控制台不应显示的意见');
  await phone.locator('button.submit').click();
  await expect(phone.locator('.result.ok')).toBeVisible();
  await phone.close();

  const job = unique(info, 'st');
  await signIn(page, job, createAccount('window_staff', 'W06', job));
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.getByRole('heading', { name: '我的窗口' })).toBeVisible();
  await expect(page.locator('.window-name')).toHaveText('6号窗口 出入境');
  const row = page.locator('tr', { hasText: number });
  await expect(row.locator('.rated')).toHaveText('✓ 已评价');
  await expect(page.getByText('控制台不应显示的意见')).toHaveCount(0);
  await expect(page.getByText('不满意')).toHaveCount(0);
  expect((await page.goto('/admin')).status()).toBe(403);
});

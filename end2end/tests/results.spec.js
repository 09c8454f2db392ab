// Results, as the people who read them: a bad rating given on a phone is in
// the center's list of every rating (comment masked, a link to its order),
// in the statistics by unit (with charts) and in a CSV that opens in Excel;
// anyone can read the public page of a region. JavaScript on and off.
const fs = require('fs');
const { test, expect, request } = require('@playwright/test');

const { createAccount, unique, signIn } = require('./helpers');

const BASE = process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107';

test('a rating is listed, counted by unit and exported', async ({ page }, info) => {
  const api = await request.newContext({
    baseURL: BASE,
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.HAOCHA_E2E_KEY}` },
  });
  const number = unique(info, 'RS');
  const completed = new Date(Date.now() - 10 * 60 * 1000);
  const res = await api.post('/api/v1/cases', {
    data: { case_number: number, item_code: '11210100MB0001-001', window_code: 'W01', real_name: false,
      accepted_at: new Date(completed.getTime() - 600_000).toISOString(), completed_at: completed.toISOString() },
  });
  expect(res.status()).toBe(201);
  await page.goto((await res.json()).rating_url);
  await page.locator('label.level:has(input[value="dissatisfied"])').click();
  await page.locator('label.tag:has(input[value="efficiency"])').click();
  await page.locator('textarea[name="comment"]').fill('打了13712345678也没人接');
  await page.getByRole('button', { name: '提交评价' }).click();
  await expect(page.getByText('评价成功，感谢您的评价！')).toBeVisible();

  const job = unique(info, 'rscenter');
  await signIn(page, job, createAccount('center_admin', '210100', job));
  await page.goto('/admin');
  await page.getByRole('link', { name: '评价记录' }).click();
  await page.getByLabel('办件编号').fill(number);
  await page.getByRole('button', { name: '筛选' }).click();
  const row = page.locator('table.ratings tbody tr', { hasText: number });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('打了137****5678也没人接');
  await expect(page.getByText('13712345678')).toHaveCount(0);
  await row.getByRole('link', { name: /^#\d+$/ }).click();
  await expect(page).toHaveURL(/\/admin\/work-orders\/\d+$/);

  // Statistics by unit, this month: the market's row, ranked or not, and the charts.
  await page.goto('/admin/stats');
  await page.getByLabel('分组').selectOption('unit');
  await page.getByRole('button', { name: '查看' }).click();
  await expect(page).toHaveURL(/dimension=unit/);
  await expect(page.locator('table.breakdown')).toContainText('沈阳市市场监督管理局');
  await expect(page.locator('figure.chart svg')).toHaveCount(3);
  await expect(page.locator('figure.chart svg title').first()).toContainText('好评率趋势');

  // The same table as CSV: UTF-8 with a BOM, the unit's row.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
  const bytes = fs.readFileSync(await download.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(bytes.toString('utf8')).toContain('U-MARKET,沈阳市市场监督管理局,');
});

test('anyone reads the public results of a region, without signing in', async ({ page }) => {
  const first = await page.goto('/open');
  expect(first.status()).toBe(200);
  expect(first.headers()['cache-control']).toBe('public, max-age=300');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('政务服务好差评公开');
  await page.getByRole('link', { name: '辽宁省' }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('辽宁省 · 好差评公开');
  await page.getByLabel('地区').selectOption('210100');
  await page.getByRole('button', { name: '查看' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('沈阳市 · 好差评公开');
  await expect(page.locator('table.open-table').first()).toContainText('沈阳市政务服务中心');
  await expect(page.locator('table.ranking')).toContainText('沈阳市市场监督管理局');
  await expect(page.locator('h2', { hasText: '差评整改公开' })).toBeVisible();
  // Phone-sized: nothing wider than the screen but the tables' own scroll boxes.
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

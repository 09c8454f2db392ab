// After the visit, as a new user tries it in the demo: a case completed 25 h
// ago with a phone; the administrator runs the jobs from 后台任务, finds the
// reminder SMS in the outbox (phone masked), opens its link, rates, and adds
// one follow-up — a second is refused. JavaScript on and off.
const { test, expect, request } = require('@playwright/test');

const { createAccount, unique, signIn } = require('./helpers');

test('reminder in the outbox, its link rates the case, one follow-up', async ({ page }, info) => {
  const api = await request.newContext({
    baseURL: process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107',
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.HAOCHA_E2E_KEY}` },
  });
  const last4 = String(1000 + (Date.now() % 9000)).slice(-4);
  const phone = `1391234${last4}`;
  const number = unique(info, 'AV');
  const completed = new Date(Date.now() - 25 * 3600 * 1000);
  const res = await api.post('/api/v1/cases', {
    data: { case_number: number, item_code: '11210100MB0001-001', window_code: 'W01', applicant_phone: phone,
      accepted_at: new Date(completed.getTime() - 600_000).toISOString(), completed_at: completed.toISOString() },
  });
  expect(res.status()).toBe(201);

  const job = unique(info, 'avadm');
  await signIn(page, job, createAccount('system_admin', null, job));
  await page.goto('/admin/outbox');
  await page.getByRole('button', { name: '立即运行后台任务' }).click();
  await expect(page.getByRole('status')).toContainText('新排队的提醒短信');
  const row = page.locator('tr', { hasText: `139****${last4}` });
  await expect(row).toHaveCount(1);
  await expect(page.getByText(phone)).toHaveCount(0);
  const text = await row.locator('.sms-body').textContent();
  expect(text).toContain('回复5非常满意');
  const link = text.match(/https?:\/\/\S+\/s\/1\/\S+/)[0];

  // The citizen taps the link on the phone.
  await page.goto(link);
  await expect(page).toHaveURL(/\/r\//);
  await page.locator('label.level:has(input[value="basically_satisfied"])').click();
  await page.getByRole('button', { name: '提交评价' }).click();
  await expect(page.getByText('评价成功，感谢您的评价！')).toBeVisible();

  // Later the same link offers one follow-up.
  await page.goto(link);
  await page.getByRole('link', { name: '追加评价' }).click();
  await expect(page.getByText('仅可追加一次')).toBeVisible();
  await page.locator('label.level:has(input[value="dissatisfied"])').click();
  await page.locator('label.tag:has(input[value="efficiency"])').click();
  await page.getByRole('button', { name: '提交评价' }).click();
  await expect(page.getByText(/追加评价已提交|追加评价成功/).first()).toBeVisible();
  await page.goto(link);
  await expect(page.getByText('不能再次追加')).toBeVisible();
  await expect(page.getByRole('link', { name: '追加评价' })).toHaveCount(0);
});

// 差评工单, as the people who use it: a citizen rates 非常不满意 on a phone;
// the unit administrator finds the order, verifies, handles and replies; the
// center passes the reply; the rater's SMS with the outcome is in the outbox
// (phone masked). JavaScript on and off.
const { test, expect, request } = require('@playwright/test');

const { createAccount, unique, signIn } = require('./helpers');

async function person(browser, info, role, scope, prefix) {
  const context = await browser.newContext({
    baseURL: process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107',
    javaScriptEnabled: info.project.use.javaScriptEnabled,
    locale: 'zh-CN',
  });
  const page = await context.newPage();
  const job = unique(info, prefix);
  await signIn(page, job, createAccount(role, scope, job));
  return page;
}

test('a bad rating becomes an order that the unit handles and the center checks', async ({ page, browser }, info) => {
  const api = await request.newContext({
    baseURL: process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107',
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.HAOCHA_E2E_KEY}` },
  });
  const last4 = String(1000 + (Date.now() % 9000)).slice(-4);
  const phone = `1371234${last4}`;
  const number = unique(info, 'WO');
  const completed = new Date(Date.now() - 10 * 60 * 1000);
  const res = await api.post('/api/v1/cases', {
    data: { case_number: number, item_code: '11210100MB0001-001', window_code: 'W02', applicant_phone: phone,
      real_name: false, accepted_at: new Date(completed.getTime() - 600_000).toISOString(), completed_at: completed.toISOString() },
  });
  expect(res.status()).toBe(201);
  const ratingUrl = (await res.json()).rating_url;

  // The citizen, on the phone.
  await page.goto(ratingUrl);
  await page.locator('label.level:has(input[value="very_dissatisfied"])').click();
  await page.locator('label.tag:has(input[value="efficiency"])').click();
  await page.locator('textarea[name="comment"]').fill('排队一个多小时，没有人解释原因');
  await page.getByRole('button', { name: '提交评价' }).click();
  await expect(page.getByText('评价成功，感谢您的评价！')).toBeVisible();

  // The unit administrator finds the new order, with the phone masked.
  const unit = await person(browser, info, 'unit_admin', 'U-MARKET', 'wounit');
  await unit.goto('/admin/work-orders');
  const row = unit.locator('tr', { hasText: number });
  await expect(row).toContainText('待核实');
  await row.getByRole('link').click();
  await expect(unit).toHaveURL(/\/admin\/work-orders\/\d+$/);
  const orderUrl = unit.url();
  await expect(unit.getByText(`137****${last4}`)).toBeVisible();
  await expect(unit.getByText(phone)).toHaveCount(0);
  await expect(unit.getByText('排队一个多小时，没有人解释原因')).toBeVisible();
  await expect(unit.getByRole('button', { name: '质检通过' })).toHaveCount(0);

  await unit.getByLabel('评价人反映').fill('评价人称叫号后窗口无人，等候一小时以上');
  await unit.getByRole('button', { name: '核实', exact: true }).click();
  await expect(unit.locator('.wo-state')).toHaveText('已核实');
  await unit.getByRole('button', { name: '开始办理' }).click();
  await expect(unit.locator('.wo-state')).toHaveText('办理中');
  // A reply without its measures is refused, naming the element.
  await unit.getByLabel('调查核实').fill('调阅叫号记录，当时窗口人员临时离岗属实');
  await unit.getByLabel('处理过程').fill('约谈窗口负责人');
  await unit.getByLabel('整改结果').fill('已落实 AB 岗，离岗有人顶替');
  await unit.getByLabel('部门负责人签字').fill('钱处长');
  // Only a space: the browser lets it through, the server refuses it.
  await unit.getByLabel('整改措施').fill(' ');
  await unit.getByRole('button', { name: '提交办理回复' }).click();
  await expect(unit.getByRole('alert')).toContainText('整改措施');
  await expect(unit.locator('.wo-state')).toHaveText('办理中');
  await unit.getByLabel('整改措施').fill('落实 AB 岗和离岗登记制度');
  await unit.getByRole('button', { name: '提交办理回复' }).click();
  await expect(unit.locator('.wo-state')).toHaveText('待质检');

  // The center checks the reply and passes it.
  const center = await person(browser, info, 'center_admin', '210100', 'wocenter');
  await center.goto(orderUrl);
  await expect(center.locator('dl.reply')).toContainText('落实 AB 岗和离岗登记制度');
  await center.getByRole('button', { name: '质检通过' }).click();
  await expect(center.locator('.wo-state')).toHaveText('已办结');
  await expect(center.getByRole('status')).toContainText('已向评价人发送短信');

  // The rater's SMS with the outcome waits in the outbox, the phone masked.
  const admin = await person(browser, info, 'system_admin', null, 'woadm');
  await admin.goto('/admin/outbox');
  const sms = admin.locator('tr', { hasText: `137****${last4}` }).filter({ hasText: '已处理完毕' });
  await expect(sms).toHaveCount(1);
  await expect(sms).toContainText('已落实 AB 岗');
  await expect(admin.getByText(phone)).toHaveCount(0);
});

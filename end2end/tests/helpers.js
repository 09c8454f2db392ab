// Shared steps of the browser tests: accounts are created with the real
// `haocha user create` (as an operator would) and signed in through the page.
const { expect } = require('@playwright/test');
const { execFileSync } = require('child_process');

const BIN = process.env.HAOCHA_BIN;
const NEW_PASSWORD = 'Haocha-E2E-2026';

// `env` overrides the server's environment (another database, for example).
function createAccount(role, scope, jobNumber, env = {}) {
  expect(BIN, 'HAOCHA_BIN is set by scripts/test.sh').toBeTruthy();
  const args = ['user', 'create', '--role', role];
  if (scope) args.push('--scope', scope);
  args.push(jobNumber);
  return execFileSync(BIN, args, { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn', ...env } }).trim();
}

function unique(info, prefix) {
  return `${prefix}-${info.project.name}-${Date.now() % 1e8}`;
}

async function signIn(page, jobNumber, password) {
  await page.goto('/login');
  await page.getByLabel('工号').fill(jobNumber);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/account\/password$/);
  await expect(page.getByText('请先设置新密码')).toBeVisible();
  await page.getByLabel('当前密码').fill(password);
  await page.getByLabel('新密码', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('再次输入新密码').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: '保存新密码' }).click();
}

module.exports = { createAccount, unique, signIn, NEW_PASSWORD };

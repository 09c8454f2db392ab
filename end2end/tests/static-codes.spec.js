// Printed static codes, as the hall uses them: a citizen scans a window's
// printed code and rates without a case; staff print the window's poster and
// table cards, and the code on the printed PDF decodes to the stable URL.
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { PNG } = require('pngjs');
const jsQR = require('jsqr');

const { createAccount, unique, signIn } = require('./helpers');

const BASE = process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107';

test('a window\'s static code opens a rating page; the rating is stored once', async ({ page }, info) => {
  const jsOn = info.project.name === 'js-on';
  await page.goto('/q/1/w/W03');
  await expect(page.getByRole('heading', { name: '请对窗口服务进行评价' })).toBeVisible();
  await expect(page.locator('.case')).toContainText('3号窗口 社保医保');
  if (jsOn) {
    await expect(page.locator('form.rating-form')).toHaveAttribute('data-hydrated', 'true');
    await page.evaluate(() => { window.stillHere = true; });
  }
  await page.locator('label.level:has(input[name="level"][value="very_satisfied"])').click();
  await page.locator('label.tag:has(input[name="tags"][value="efficiency"])').click();
  await page.locator('button.submit').click();
  await expect(page.locator('.result.ok')).toBeVisible();
  await expect(page.locator('.result.ok')).toContainText('感谢');
  if (jsOn) {
    expect(await page.evaluate(() => window.stillHere), 'rated without a page load').toBe(true);
  }
});

// Decodes the code in a part of a rendered page: (fx, fy, fw, fh) are fractions
// of its width and height (a page of cards holds six codes; jsQR reads one).
function decodePng(file, fx = 0, fy = 0, fw = 1, fh = 1) {
  const img = PNG.sync.read(fs.readFileSync(file));
  const x0 = Math.floor(img.width * fx), y0 = Math.floor(img.height * fy);
  const w = Math.floor(img.width * fw), h = Math.floor(img.height * fh);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * img.width + x0) * 4;
    data.set(img.data.subarray(from, from + w * 4), y * w * 4);
  }
  return { code: jsQR(data, w, h), width: w };
}

test('staff print the window\'s poster and cards; the printed codes decode to the static URL', async ({ page }, info) => {
  const job = unique(info, 'print');
  await signIn(page, job, createAccount('window_staff', 'W05', job));
  await expect(page).toHaveURL(/\/staff$/);
  await page.getByRole('link', { name: '打印窗口评价二维码' }).click();
  await expect(page).toHaveURL(/\/print\/window\/W05$/);
  await expect(page.getByRole('link', { name: 'PNG (1200 px)' })).toHaveAttribute('href', '/q/1/w/W05/qr.png');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haocha-print-'));
  const pdf = path.join(dir, 'print.pdf');
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  const pages = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }).match(/Pages:\s+(\d+)/)[1];
  expect(Number(pages), 'an A4 poster, then a page of table cards').toBe(2);
  // 150 dpi: 1 cm is 59 px.
  execFileSync('pdftoppm', ['-r', '150', '-png', pdf, path.join(dir, 'page')]);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  expect(files.length).toBe(2);
  const poster = decodePng(path.join(dir, files[0]));
  expect(poster.code, 'the poster\'s code decodes').not.toBeNull();
  expect(poster.code.data).toBe(`${BASE}/q/1/w/W05`);
  const cards = decodePng(path.join(dir, files[1]), 0, 0, 0.5, 0.34);
  expect(cards.code, 'a table card\'s code decodes').not.toBeNull();
  expect(cards.code.data).toBe(`${BASE}/q/1/w/W05`);
  const loc = cards.code.location;
  const widthPx = Math.hypot(loc.topRightCorner.x - loc.topLeftCorner.x, loc.topRightCorner.y - loc.topLeftCorner.y);
  expect(widthPx / 59, 'a printed code is at least 3 cm wide').toBeGreaterThanOrEqual(3);
  fs.rmSync(dir, { recursive: true, force: true });
});

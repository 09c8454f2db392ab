// Playwright drives Debian's Chromium (/usr/bin/chromium): Playwright's own
// browser download does not work on these machines. Every test runs twice:
// JavaScript on (hydrated islands) and off (plain HTML forms).
const { defineConfig } = require('@playwright/test');

const launchOptions = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

module.exports = defineConfig({
  testDir: './tests',
  timeout: 30_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: process.env.HAOCHA_E2E_URL || 'http://127.0.0.1:3107',
    launchOptions,
    locale: 'zh-CN',
  },
  projects: [
    { name: 'js-on', use: { javaScriptEnabled: true }, testIgnore: /kiosk\.spec/ },
    { name: 'js-off', use: { javaScriptEnabled: false }, testIgnore: /kiosk\.spec/ },
    // The kiosk is a client-side app (it needs JavaScript) on a touch screen;
    // it runs against its own servers on SQLite and PostgreSQL.
    { name: 'kiosk', use: { javaScriptEnabled: true, hasTouch: true }, testMatch: /kiosk\.spec/ },
  ],
});

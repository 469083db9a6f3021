import { defineConfig } from "@playwright/test";

// Against a deployment: BASE_URL=https://seatkeeper.example.com npx playwright test
// Otherwise the suite starts the release server that scripts/build-release made (what `make run`
// serves and a deployment runs: hashed, precompressed assets) on port 3100, on the database that
// scripts/test prepared (E2E_DATABASE_URL). The server reads target/release/hash.txt beside itself.
const external = process.env.BASE_URL;
const baseURL = external ?? "http://127.0.0.1:3100";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // As root Chromium needs --no-sandbox; the rest stop it calling hosts it cannot reach.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "chromium", use: { browserName: "chromium" }, testIgnore: /\.nojs\.spec\.ts$/ },
    {
      name: "chromium-without-javascript",
      use: { browserName: "chromium", javaScriptEnabled: false },
      testMatch: /\.nojs\.spec\.ts$/,
    },
  ],
  webServer: external
    ? undefined
    : {
        command: "./target/release/server",
        cwd: "..",
        url: `${baseURL}/login`,
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: "ignore",
        stderr: "pipe",
        env: {
          DATABASE_URL: process.env.E2E_DATABASE_URL ?? "",
          LEPTOS_SITE_ADDR: "127.0.0.1:3100",
          LEPTOS_SITE_ROOT: "target/site",
          LEPTOS_SITE_PKG_DIR: "pkg",
          LEPTOS_OUTPUT_NAME: "seatkeeper",
          RUST_LOG: "warn",
          // The invitation test follows its link from the development mailbox (off by default).
          SEATKEEPER_DEV_MAILBOX: "on",
        },
      },
});

import { defineConfig, devices } from "@playwright/test";

// One server per run, on its own port and database: the release build, served by scripts/serve.sh
// exactly as scripts/run.sh serves it. The test script builds it first (cargo leptos build
// --release) and sets E2E_DATABASE_URL; the default is a throwaway SQLite file.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const databaseUrl = process.env.E2E_DATABASE_URL ?? "sqlite://target/e2e/icp.db";
// The server mails through a real SMTP sink this run starts (tests/smtp_sink/sink.py, aiosmtpd in
// target/webhook-venv: `ensure_webhook_receiver` in scripts/setup.sh), which writes each message it
// receives as a JSON line to target/e2e/mail.jsonl (read by end2end/support/mail.ts).
const smtpPort = Number(process.env.E2E_SMTP_PORT ?? port + 25);

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["html", { open: "never" }]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: [
    {
      command:
        "test -x target/webhook-venv/bin/python || " +
        "{ echo 'target/webhook-venv is missing: run ensure_webhook_receiver (scripts/setup.sh)' >&2; exit 1; }; " +
        `mkdir -p target/e2e && exec target/webhook-venv/bin/python tests/smtp_sink/sink.py --port ${smtpPort} >target/e2e/mail.jsonl`,
      cwd: "..",
      port: smtpPort,
      timeout: 20_000,
      reuseExistingServer: false,
      stderr: "pipe",
    },
    {
      command: "scripts/serve.sh",
      cwd: "..",
      url: `${baseURL}/api/openapi.json`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        DATABASE_URL: databaseUrl,
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        RUST_LOG: "warn",
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      },
    },
  ],
});

import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The builder's timings in headless Chromium (end2end/perf/builder-timing.ts): not a test, a
// measurement; it asserts nothing about time. Method and figures: BENCHMARKS.md.
//
//   cd end2end && npx playwright test -c perf.config.ts                  # serves the release build itself
//   PERF_SMOKE=1 npx playwright test -c perf.config.ts                   # each measurement once
//   PERF_TARGETS="before=http://127.0.0.1:3221,after=http://127.0.0.1:3222" npx playwright test -c perf.config.ts
//
// With PERF_TARGETS (name=url, comma-separated) it measures servers already running, one after
// the other in this run; without, it starts scripts/serve.sh on PERF_PORT (default 3920) with a
// throwaway SQLite database.
const port = Number(process.env.PERF_PORT ?? 3920);
const targets = process.env.PERF_TARGETS;

export default defineConfig({
  testDir: "./perf",
  testMatch: "builder-timing.ts",
  timeout: 15 * 60_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results/perf",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    // The same browser and flags as the tests.
    launchOptions: base.use?.launchOptions,
    viewport: { width: 1280, height: 720 },
  },
  webServer: targets
    ? undefined
    : {
        command: "rm -f target/perf/icp.db* && mkdir -p target/perf && scripts/serve.sh",
        cwd: "..",
        url: `http://127.0.0.1:${port}/api/openapi.json`,
        timeout: 60_000,
        reuseExistingServer: false,
        stdout: "pipe",
        stderr: "pipe",
        env: {
          DATABASE_URL: "sqlite://target/perf/icp.db",
          LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
          RUST_LOG: "warn",
        },
      },
});

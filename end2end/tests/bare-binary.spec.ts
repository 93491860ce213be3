// The release binary run bare — `icp-builder serve`, as the README says, without the LEPTOS_*
// variables scripts/serve.sh sets, from another working directory — serves the bundle it was
// built with (hashed names, its own site beside it), so the builder hydrates.
import { test, expect, waitForHydration } from "../support/app";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repoRoot = path.join(__dirname, "..", "..");
const binary = path.join(repoRoot, "target", "release", "icp-builder");
const port = Number(process.env.E2E_PORT ?? 3100) + 7;
const url = `http://127.0.0.1:${port}`;

let server: ChildProcess | undefined;
let workDir = "";

test.beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "icp-bare-"));
  // Only what a shell gives anyone: no LEPTOS_* besides the address.
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: workDir,
    DATABASE_URL: `sqlite://${workDir}/icp.db`,
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    RUST_LOG: "warn",
  };
  execFileSync(binary, ["users", "create", "--email", "bare@example.com", "--name", "Bare Binary"], {
    cwd: workDir,
    env,
    input: "correct horse battery staple",
  });
  server = spawn(binary, ["serve"], { cwd: workDir, env, stdio: "inherit" });
  await expect
    .poll(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status, { timeout: 20_000 })
    .toBe(200);
});

test.afterAll(async () => {
  server?.kill();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test("the bare release binary serves a builder that hydrates", async ({ page }) => {
  await page.goto(`${url}/sign-in`);
  // The page names the hashed bundle, and it is there.
  const wasm = await page.evaluate(() =>
    performance.getEntriesByType("resource").map((e) => e.name).find((name) => name.endsWith(".wasm")),
  );
  expect(wasm).toMatch(/\/pkg\/icp-builder\.[\w-]+\.wasm$/);
  const response = await page.request.get(wasm!);
  expect(response.status()).toBe(200);

  await page.getByLabel("Email").fill("bare@example.com");
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${url}/icps`);
  await page.goto(`${url}/icps/new`);
  await waitForHydration(page);
  // Hydrated: "Add filter" adds a row in place (without the bundle it would post the form).
  await page.getByRole("button", { name: "Add filter" }).click();
  await expect(page.getByRole("heading", { level: 3, name: /· filter 1$/ })).toBeVisible();
  await expect(page).toHaveURL(`${url}/icps/new`);
});

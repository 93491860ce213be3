// Shared helpers for the end-to-end tests: accounts, hydration, the builder's rows and tags.
//
// Every test makes its own users (unique emails), so the suite runs on a database that already
// holds data (the test script runs it on SQLite and then on Postgres).
import { test as base, expect, request, type Locator, type Page, type TestInfo } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Page errors and console errors seen during a test (JS-enabled pages only). */
type Problems = {
  pageErrors: string[];
  consoleErrors: string[];
  /** Console errors a test causes on purpose (e.g. a request it aborts). */
  expected: RegExp[];
};

/**
 * `test` with an automatic check: an uncaught exception in the page (a WASM panic, a hydration
 * error) fails the test, with the message. Console errors are attached to the report, and those
 * that are not just an HTTP error status of a loaded resource fail the test too.
 */
export const test = base.extend<{ problems: Problems }>({
  problems: [
    async ({ page }, use, testInfo) => {
      const problems: Problems = { pageErrors: [], consoleErrors: [], expected: [] };
      page.on("pageerror", (error) => problems.pageErrors.push(`${error.message}\n${error.stack ?? ""}`));
      page.on("console", (message) => {
        if (message.type() === "error") problems.consoleErrors.push(`${message.text()} [${message.location().url || "?"}] on ${page.url()}`);
      });
      await use(problems);
      const all = [...problems.pageErrors, ...problems.consoleErrors];
      if (all.length > 0) {
        const file = testInfo.outputPath("browser-errors.txt");
        fs.writeFileSync(file, all.join("\n\n"));
        await testInfo.attach("browser-errors.txt", { path: file, contentType: "text/plain" });
      }
      expect(problems.pageErrors, "uncaught errors in the page").toEqual([]);
      const unexpected = problems.consoleErrors.filter(
        // The browser logs every 4xx/5xx response; the tests check those statuses themselves.
        (text) =>
          !/Failed to load resource: the server responded with a status of (4\d\d|500)/.test(text) &&
          !problems.expected.some((pattern) => pattern.test(text)),
      );
      expect(unexpected, "console errors in the page").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** A fresh email, unique across runs and databases. */
export function uniqueEmail(who = "ana"): string {
  return `${who}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** A short unique tag for names, so a test finds its own ICPs among others. */
export function uniqueTag(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Waits until the app has hydrated (clicks before that are lost). */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 20_000 });
}

/** Navigates and waits for hydration. */
export async function visit(page: Page, url: string) {
  const response = await page.goto(url);
  await waitForHydration(page);
  return response;
}

export type Account = { name: string; email: string; password: string };

/** Where the server under test keeps its data (the same default as playwright.config.ts). */
const databaseUrl = process.env.E2E_DATABASE_URL ?? "sqlite://target/e2e/icp.db";
const repoRoot = path.join(__dirname, "..", "..");

/**
 * Creates an account and ends signed in, on the ICP list. Works with JavaScript on (waits for
 * hydration) or off (`javaScript: false`).
 *
 * By default the account is made with the admin CLI (`icp-builder users create`, on the server's
 * database) and the user signs in through the form: the server allows only a few sign-ups per client
 * address per 15 minutes, and every test comes from 127.0.0.1. `form: true` signs up through the
 * sign-up form instead; keep that to the few tests about signing up.
 */
export async function signUp(
  page: Page,
  options: { name?: string; email?: string; javaScript?: boolean; form?: boolean } = {},
): Promise<Account> {
  const account: Account = {
    name: options.name ?? "Ana Lopez",
    email: options.email ?? uniqueEmail(),
    password: "correct horse battery staple",
  };
  if (options.form) {
    await page.goto("/sign-up");
    if (options.javaScript !== false) await waitForHydration(page);
    await page.getByLabel("Name").fill(account.name);
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(account.password);
    await page.getByRole("button", { name: "Create account" }).click();
  } else {
    execFileSync(
      path.join(repoRoot, "target", "release", "icp-builder"),
      ["users", "create", "--email", account.email, "--name", account.name],
      { cwd: repoRoot, input: account.password, env: { ...process.env, DATABASE_URL: databaseUrl, RUST_LOG: "warn" } },
    );
    await signIn(page, account, { javaScript: options.javaScript });
  }
  await expect(page).toHaveURL(/\/icps$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your ICPs" })).toBeVisible();
  return account;
}

/** Signs in through the sign-in form. */
export async function signIn(page: Page, account: Account, options: { javaScript?: boolean } = {}) {
  await page.goto("/sign-in");
  if (options.javaScript !== false) await waitForHydration(page);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The signed-in user's id, as the builder carries it on "Shared with: <name> (you)". */
export async function creatorId(page: Page): Promise<string> {
  const id = (await page.locator(".tag-fixed").getAttribute("data-user-id")) ?? "";
  expect(id).toMatch(/^user_[A-Za-z0-9]+$/);
  return id;
}

/** A minimal valid API body. */
export function minimalBody(name: string): Record<string, unknown> {
  return {
    name,
    description: null,
    leadProviderCriteria: [
      { provider: "baseProvider", type: "person", filters: { job_title: ["CTO"] } },
    ],
    customFilterCriteria: [{ type: "maxPeoplePerCompany", value: 2 }],
    crmFilters: null,
    userIds: [],
    leadsPerList: 10,
    activeUntil: null,
  };
}

/**
 * Creates an ICP through the JSON API with the page's session cookie (sent from the app's own
 * origin, as the app's pages would). Answers the stored ICP.
 */
export async function createIcpViaApi(page: Page, body: Record<string, unknown>, baseURL: string) {
  const response = await page.request.post("/api/v1/entities/icps", {
    data: body,
    headers: { Origin: baseURL },
  });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()) as { id: string; name: string; [key: string]: unknown };
}

/**
 * Makes an API token on /settings for the page's signed-in user and answers a request context that
 * sends it as a Bearer token, with no cookie: the API as an integration sees it. The token is made in
 * a JavaScript-enabled copy of the page's session, whatever the page's own context allows. Dispose of
 * the answer at the end.
 */
export async function apiClient(page: Page) {
  const baseURL = new URL(page.url()).origin;
  const browser = page.context().browser()!;
  const context = await browser.newContext({
    baseURL,
    javaScriptEnabled: true,
    storageState: await page.context().storageState(),
  });
  try {
    const settings = await context.newPage();
    await settings.goto("/settings");
    await waitForHydration(settings);
    await settings.getByLabel("Label").fill(`e2e ${uniqueTag()}`);
    await settings.getByRole("button", { name: "Create token" }).click();
    const token = (await settings.locator("code.token").innerText()).trim();
    expect(token).toMatch(/^icp_/);
    return await request.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
  } finally {
    await context.close();
  }
}

// ---- The builder ----------------------------------------------------------------------------

/** A row of the builder (`li.row`) whose heading matches `heading`. */
export function row(page: Page, heading: string | RegExp): Locator {
  return page.locator("li.row").filter({ has: page.getByRole("heading", { level: 3, name: heading }) });
}

/** The row key of a row: the `N` of its fields' names (`filter.N.…`). */
export async function rowKey(rowLocator: Locator): Promise<string> {
  const name = await rowLocator.locator("input[name], select[name], textarea[name]").first().getAttribute("name");
  const key = name?.split(".")[1];
  expect(key, `row key of field ${name}`).toMatch(/^\d+$/);
  return key!;
}

/** Types each value into a tag input and commits it with Enter. */
export async function addTags(input: Locator, values: string[]) {
  for (const value of values) {
    await input.fill(value);
    await input.press("Enter");
    await expect(input).toHaveValue("");
  }
}

/** Adds a custom filter of the given type (its human name) and answers the new row. */
export async function addFilter(page: Page, typeName: string): Promise<Locator> {
  const before = await page.locator("li.row input[type=hidden][name$='.type'][name^='filter.']").count();
  await page.getByLabel("Filter type").selectOption({ label: typeName });
  await page.getByRole("button", { name: "Add filter" }).click();
  const rows = page.locator("ol.rows > li.row").filter({
    has: page.locator("input[type=hidden][name^='filter.'][name$='.type']"),
  });
  await expect(rows).toHaveCount(before + 1);
  const key = await rowKey(rows.last());
  // Pinned to its key, so the locator keeps meaning this row when others are added or removed.
  const added = page.locator("li.row").filter({ has: page.locator(`input[name='filter.${key}.type']`) });
  await expect(added.getByRole("heading", { level: 3 })).toContainText(typeName);
  return added;
}

/** The builder's live "API body" preview, parsed. */
export async function previewBody(page: Page): Promise<Record<string, unknown>> {
  return JSON.parse(await page.locator("aside.preview pre.json").innerText());
}

/** The error shown at a field, found the way a screen reader finds it: through aria-describedby. */
export async function describedErrors(field: Locator): Promise<string> {
  return field.evaluate((element) => {
    const ids = (element.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
    return ids
      .map((id) => document.getElementById(id))
      .filter((node) => node && node.classList.contains("field-error") && !node.hidden)
      .map((node) => node!.textContent!.trim())
      .join(" ");
  });
}

/** Saves a screenshot both as a test attachment and under end2end/test-results/screenshots/. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  const body = await page.screenshot({ fullPage: true });
  await testInfo.attach(name, { body, contentType: "image/png" });
  const dir = path.join(__dirname, "..", "test-results", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.png`), body);
}

// Every page passes axe without serious or critical violations; the builder is screenshotted at
// desktop and phone widths.
import AxeBuilder from "@axe-core/playwright";
import {
  test,
  expect,
  signUp,
  visit,
  row,
  addTags,
  addFilter,
  createIcpViaApi,
  minimalBody,
  uniqueTag,
  screenshot,
} from "../support/app";
import type { Page } from "@playwright/test";

/** Runs axe on the page as it is now; a serious or critical violation fails the test (softly). */
async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = bad
    .map(
      (v) =>
        `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n` +
        v.nodes
          .slice(0, 5)
          .map((n) => `    ${n.target.join(" ")}\n      ${n.failureSummary?.replace(/\n/g, "\n      ")}`)
          .join("\n"),
    )
    .join("\n");
  expect.soft(bad.map((v) => v.id), `axe on ${what} (${page.url()}):\n${report}`).toEqual([]);
}

test("sign-in and sign-up pages, also with an error shown", async ({ page }) => {
  await visit(page, "/sign-in");
  await expectAccessible(page, "sign-in");
  await visit(page, "/sign-in?error=credentials&email=ana%40example.com");
  await expect(page.getByRole("alert")).toHaveText("The email or password is wrong.");
  await expectAccessible(page, "sign-in with an error");
  await visit(page, "/sign-up");
  await expectAccessible(page, "sign-up");
  await visit(page, "/sign-up?error=password&name=Ana&email=ana%40example.com");
  await expect(page.locator("[id='password-error']")).toHaveText("Use at least 8 characters.");
  await expectAccessible(page, "sign-up with an error");
});

test("the ICP list, empty and with ICPs", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  await visit(page, "/icps");
  await expect(page.getByRole("heading", { name: "No ICPs yet" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Build your first ICP" })).toHaveAttribute("href", "/icps/new");
  await expectAccessible(page, "the empty list");

  await createIcpViaApi(page, minimalBody(`Older ${uniqueTag()}`), baseURL!);
  const newest = `Newest ${uniqueTag()}`;
  await createIcpViaApi(page, { ...minimalBody(newest), activeUntil: "2001-01-01T00:00:00.000Z" }, baseURL!);
  await visit(page, "/icps");
  const cards = page.getByRole("table").getByRole("row").filter({ has: page.getByRole("rowheader") });
  await expect(cards).toHaveCount(2);
  // Newest first; an ICP past its end date says so.
  await expect(cards.first().getByRole("link")).toHaveText(newest);
  await expect(cards.first()).toContainText("Expired");
  await expect(cards.last()).toContainText("Active");
  await expectAccessible(page, "the list with ICPs");

  // Sorted by name, at a desktop's and a phone's width.
  await visit(page, "/icps?sort=name");
  await expect(cards.first().getByRole("link")).toHaveText(newest);
  await expectAccessible(page, "the list sorted by name");
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, testInfo, "list-sorted-1280");
  await page.setViewportSize({ width: 390, height: 844 });
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
    .toBeLessThanOrEqual(390);
  await screenshot(page, testInfo, "list-sorted-390");
});

test("the builder with several rows and errors shown, with screenshots at desktop and phone widths", async ({
  page,
}, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signUp(page);
  await visit(page, "/icps/new");
  await expectAccessible(page, "the new builder");

  await page.getByLabel("Description").fill("Technology leaders in German-speaking regions");
  await addTags(page.getByLabel("Share with teammates"), ["user_teammate123"]);
  await addTags(row(page, "Lead source 1").getByLabel("Job titles"), ["CTO", "VP Engineering"]);
  await page.getByRole("button", { name: "Add lead source" }).click();
  await row(page, "Lead source 2").getByLabel("Search for").selectOption("company");
  await row(page, "Lead source 2").getByLabel("Employees, at least").fill("500");
  await row(page, "Lead source 2").getByLabel("Employees, at most").fill("50");
  await addFilter(page, "Website check");
  const scraping = await addFilter(page, "Web scraping");
  await addTags(scraping.getByLabel("Pages must mention"), ["pricing"]);
  await addFilter(page, "AI judgement");
  const regex = await addFilter(page, "Field condition");
  await regex.getByRole("combobox", { name: "Lead field" }).fill("company..name");
  await regex.getByRole("combobox", { name: "Condition", exact: true }).selectOption({ label: "matches pattern" });
  await regex.getByRole("textbox", { name: "Value", exact: true }).fill("[");
  // Leave the field first: its error appears on leaving and moves the content below it.
  await regex.getByRole("textbox", { name: "Value", exact: true }).press("Tab");
  await expect(regex.getByRole("textbox", { name: "Value", exact: true })).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Also source leads from Bullhorn").check();
  await page.getByLabel("Text search").fill("Head OR Leit*");
  await page.getByRole("button", { name: "Add condition" }).click();
  await row(page, "Condition 1").getByLabel("Match", { exact: true }).selectOption("in");

  // Submitting with an empty name and empty required fields shows every error.
  await page.getByRole("button", { name: "Create ICP" }).first().click();
  const summary = page.locator(".error-summary");
  await expect(summary).toBeVisible();
  await expect(summary.getByRole("listitem")).not.toHaveCount(0);
  await expect(page.locator("[id='name-error']")).toHaveText("Must not be empty");
  await expectAccessible(page, "the builder with rows and errors");

  await screenshot(page, testInfo, "builder-desktop-1280");
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(summary).toBeVisible();
  // Nothing is wider than the phone's screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect.soft(overflow, "horizontal overflow at 375px, in CSS pixels").toBeLessThanOrEqual(0);
  await screenshot(page, testInfo, "builder-mobile-375");
  await expectAccessible(page, "the builder at 375px");
});

test("an ICP's page and its edit form", async ({ page, baseURL }) => {
  await signUp(page);
  const icp = await createIcpViaApi(
    page,
    {
      ...minimalBody(`Detailed ${uniqueTag()}`),
      description: "For the accessibility check",
      customFilterCriteria: [
        { type: "website", provider: "browserUse", prompt: "B2B?" },
        { type: "matchFieldWithRegex", field: "company.name", regex: "^A" },
      ],
      crmFilters: {
        provider: "bullhorn",
        textSearch: "Director",
        filters: [{ path: "status", mode: "equals", value: "Active", exclude: true }],
      },
    },
    baseURL!,
  );
  await visit(page, `/icps/${icp.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(icp.name);
  await expectAccessible(page, "the ICP's page");
  // With the delete confirmation open.
  await page.getByText("Delete…").click();
  await expect(page.getByRole("button", { name: "Yes, delete this ICP" })).toBeVisible();
  await expectAccessible(page, "the ICP's page with the delete confirmation");

  await visit(page, `/icps/${icp.id}/edit`);
  await expect(page.getByRole("heading", { level: 1, name: /^Edit “/ })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Name", exact: true })).toHaveValue(icp.name);
  await expectAccessible(page, "the edit form");
});

test("settings, with a new token shown", async ({ page }) => {
  await signUp(page);
  await visit(page, "/settings");
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expectAccessible(page, "settings");
  await page.getByLabel("Label").fill("CRM sync");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.locator("code.token")).toHaveText(/^icp_/);
  await expect(page.getByRole("cell", { name: "CRM sync", exact: true })).toBeVisible();
  await waitForStable(page);
  await expectAccessible(page, "settings with a token");
});

test("the 403 and 404 pages", async ({ page, browser, baseURL }) => {
  await signUp(page);
  const icp = await createIcpViaApi(page, minimalBody(`Not yours ${uniqueTag()}`), baseURL!);
  const other = await browser.newContext();
  const bob = await other.newPage();
  try {
    await signUp(bob, { name: "Bob Meyer" });
    const response = await visit(bob, `/icps/${icp.id}`);
    expect(response?.status()).toBe(403);
    await expect(bob.getByRole("heading", { level: 1 })).toHaveText("You don’t have access to this ICP");
    await expectAccessible(bob, "the 403 page");
  } finally {
    await other.close();
  }
  const response = await visit(page, "/icps/00000000-0000-7000-8000-000000000000");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This ICP doesn’t exist");
  await expectAccessible(page, "the 404 page");
  const unknown = await visit(page, "/no-such-page");
  expect(unknown?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expectAccessible(page, "the unknown-page 404");
});

async function waitForStable(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

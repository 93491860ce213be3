// The builder without JavaScript: every button is a real form post, and the server re-renders the
// form with the rows changed and every typed value kept.
import { test, expect, signUp, row, uniqueTag } from "../support/app";
import type { Page } from "@playwright/test";

test.use({ javaScriptEnabled: false });

/** Clicks a button that posts the builder form and answers the server's response. */
async function post(page: Page, button: ReturnType<Page["getByRole"]>) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/forms/icps")),
    button.click(),
  ]);
  return response;
}

/** The row whose hidden type field names it, by key. */
function filterRows(page: Page) {
  return page.locator("li.row").filter({ has: page.locator("input[type=hidden][name^='filter.'][name$='.type']") });
}

test.describe("without JavaScript", () => {
  test("a user signs up, builds an ICP with a lead source and a filter added by a form post, and saves it", async ({
    page,
  }) => {
    await signUp(page, { javaScript: false, form: true });
    await page.goto("/icps/new");
    await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
    await expect(page.getByRole("heading", { level: 1, name: "New ICP" })).toBeVisible();

    const name = `No-JS ICP ${uniqueTag()}`;
    await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
    await page.getByLabel("Leads per list").fill("15");
    const lead = row(page, "Lead source 1");
    // Without JavaScript a tag box takes comma-separated text.
    await lead.getByLabel("Job titles").fill("CTO, VP Engineering");
    await lead.getByLabel("Countries").fill("Germany");
    await lead.getByLabel("Employees, at least").fill("100");
    await lead.getByLabel("Employees, at most").fill("5000");

    // "Add filter" posts the form; the server sends it back with the new row and the values kept.
    await page.getByLabel("Filter type").selectOption({ label: "Max people per company" });
    let response = await post(page, page.getByRole("button", { name: "Add filter" }));
    expect(response.status()).toBe(200);
    await expect(filterRows(page)).toHaveCount(1);
    await page.getByLabel("At most this many people per company").fill("3");

    await page.getByLabel("Filter type").selectOption({ label: "AI judgement" });
    response = await post(page, page.getByRole("button", { name: "Add filter" }));
    expect(response.status()).toBe(200);
    await expect(filterRows(page)).toHaveCount(2);
    // The re-rendered page still knows who is signed in.
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect.soft(nav.getByRole("button", { name: "Sign out" }), "header after a row post").toBeVisible();
    await expect.soft(nav.getByRole("link", { name: "Sign in" }), "header after a row post").toHaveCount(0);
    const ai = row(page, /AI judgement/);
    await expect(ai).toHaveCount(1);
    await expect(page.getByRole("textbox", { name: "Name", exact: true })).toHaveValue(name);
    await expect(page.getByLabel("Leads per list")).toHaveValue("15");
    const leadAgain = row(page, "Lead source 1");
    await expect(leadAgain.getByLabel("Job titles")).toHaveValue("CTO, VP Engineering");
    await expect(leadAgain.getByLabel("Countries")).toHaveValue("Germany");
    await expect(leadAgain.getByLabel("Employees, at least")).toHaveValue("100");
    await expect(leadAgain.getByLabel("Employees, at most")).toHaveValue("5000");
    await expect(page.getByLabel("At most this many people per company")).toHaveValue("3");
    await ai.getByLabel("Judge the").selectOption({ label: "Company" });
    await ai.getByLabel("Question for the AI").fill("Is this company hiring engineers?");

    // Removing the first filter (a post too) keeps the second one's values.
    response = await post(page, page.getByRole("button", { name: "Remove filter 1 (max people per company)" }));
    expect(response.status()).toBe(200);
    await expect(filterRows(page)).toHaveCount(1);
    await expect(page.getByLabel("At most this many people per company")).toHaveCount(0);
    await expect(row(page, /AI judgement/).getByLabel("Question for the AI")).toHaveValue("Is this company hiring engineers?");
    await expect(row(page, /AI judgement/).getByLabel("Judge the")).toHaveValue("company");

    // Save: the server creates the ICP and redirects to it.
    response = await post(page, page.getByRole("button", { name: "Create ICP" }).first());
    expect(response.status()).toBe(303);
    await expect(page).toHaveURL(/\/icps\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
    await expect(page.getByRole("region", { name: "Lead sources" }).getByRole("listitem")).toHaveText([
      "People · Job titles: CTO, VP Engineering · Countries: Germany · 100–5000 employees",
    ]);
    await expect(page.getByRole("region", { name: "Custom filters" }).getByRole("listitem")).toHaveText([
      "AI judgement: AI judges the company: “Is this company hiring engineers?”",
    ]);

    const id = new URL(page.url()).pathname.split("/").pop();
    const stored = await (await page.request.get(`/api/v1/entities/icps/${id}`)).json();
    expect(stored).toMatchObject({
      name,
      description: null,
      leadsPerList: 15,
      leadProviderCriteria: [
        {
          provider: "baseProvider",
          type: "person",
          filters: {
            job_title: ["CTO", "VP Engineering"],
            location: { country: ["Germany"] },
            company: { employee_size: { min: 100, max: 5000 } },
          },
        },
      ],
      customFilterCriteria: [{ type: "ai", entityType: "company", prompt: "Is this company hiring engineers?" }],
      crmFilters: null,
      activeUntil: null,
    });
  });

  test("an invalid save shows the form again with the error and every value", async ({ page }) => {
    await signUp(page, { javaScript: false });
    await page.goto("/icps/new");
    const lead = row(page, "Lead source 1");
    await lead.getByLabel("Job titles").fill("Head of Sales");
    await page.getByLabel("Filter type").selectOption({ label: "Min days before reuse" });
    await post(page, page.getByRole("button", { name: "Add filter" }));
    await page.getByLabel("Days before a lead may be reused").fill("90");
    await page.getByLabel("Description").fill("Left without a name");

    const response = await post(page, page.getByRole("button", { name: "Create ICP" }).first());
    expect(response.status()).toBe(422);
    await expect(page.getByRole("heading", { level: 1, name: "New ICP" })).toBeVisible();

    const nameInput = page.getByRole("textbox", { name: "Name", exact: true });
    await expect(nameInput).toHaveAttribute("aria-invalid", "true");
    await expect(page.locator("[id='name-error']")).toHaveText("Must not be empty");
    await expect(nameInput).toHaveAttribute("aria-describedby", /(^| )name-error( |$)/);
    const summary = page.locator(".error-summary");
    await expect(summary).toBeVisible();
    await expect(summary).toHaveAttribute("role", "alert");
    await expect(summary.getByRole("heading")).toHaveText("1 problem to fix");
    await expect(summary.getByRole("link", { name: "Name: Must not be empty" })).toHaveAttribute("href", "#name");

    await expect(page.getByLabel("Description")).toHaveValue("Left without a name");
    await expect(row(page, "Lead source 1").getByLabel("Job titles")).toHaveValue("Head of Sales");
    await expect(page.getByLabel("Days before a lead may be reused")).toHaveValue("90");

    // Fixing the name and saving again works.
    await nameInput.fill(`Fixed without JS ${uniqueTag()}`);
    const saved = await post(page, page.getByRole("button", { name: "Create ICP" }).first());
    expect(saved.status()).toBe(303);
    await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
    await expect(page.getByRole("region", { name: "Custom filters" })).toContainText("A lead is reused only after 90 days");
  });
});

// The builder works from the keyboard alone: Tab to every control, type, Enter in a tag box adds a
// tag, Space/Enter press buttons; Enter in a text field does not save (a slip must not create the
// ICP), Enter on "Create ICP" does.
import { test, expect, signUp, visit, row, uniqueTag } from "../support/app";
import type { Locator, Page } from "@playwright/test";

/**
 * Presses Tab (or Shift+Tab) until `target` has the focus; fails if it is not reached within
 * `limit` presses — i.e. it cannot be reached from the keyboard in that direction.
 */
async function tabTo(page: Page, target: Locator, options: { backward?: boolean; limit?: number } = {}) {
  const key = options.backward ? "Shift+Tab" : "Tab";
  const limit = options.limit ?? 120;
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press(key);
    seen.push(
      await page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        return a ? `${a.tagName.toLowerCase()}${a.id ? "#" + a.id : ""}${a.getAttribute("name") ? "[" + a.getAttribute("name") + "]" : ""}` : "none";
      }),
    );
  }
  throw new Error(`${target} not reached with ${key} in ${limit} presses; focus went: ${seen.join(" → ")}`);
}

test.beforeEach(async ({ page }) => {
  await signUp(page);
  await visit(page, "/icps/new");
});

test("the builder can be filled and submitted from the keyboard alone", async ({ page }) => {
  const saves: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/fn/save_icp")) saves.push(r.url());
  });
  const name = `Keyboard ICP ${uniqueTag()}`;

  // The first Tab reaches the skip link.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();

  const nameInput = page.getByRole("textbox", { name: "Name", exact: true });
  await tabTo(page, nameInput);
  await page.keyboard.type(name);

  // Enter and comma in a tag box add tags; they do not submit the form.
  const lead = row(page, "Lead source 1");
  await tabTo(page, lead.getByLabel("Job titles"));
  await page.keyboard.type("CTO");
  await page.keyboard.press("Enter");
  await page.keyboard.type("VP Engineering,");
  await page.keyboard.type("Head of IT");
  await page.keyboard.press("Enter");
  await expect(lead.getByRole("button", { name: "Remove CTO" })).toBeVisible();
  await expect(lead.getByRole("button", { name: "Remove VP Engineering" })).toBeVisible();
  await expect(lead.getByRole("button", { name: "Remove Head of IT" })).toBeVisible();
  await expect(lead.getByLabel("Job titles")).toHaveValue("");
  await expect(lead.getByLabel("Job titles")).toBeFocused();
  expect(saves).toEqual([]);
  await expect(page).toHaveURL(/\/icps\/new$/);

  // A tag is removed with its button, from the keyboard.
  await tabTo(page, lead.getByRole("button", { name: "Remove Head of IT" }), { backward: true });
  await page.keyboard.press("Enter");
  await expect(lead.getByRole("button", { name: "Remove Head of IT" })).toHaveCount(0);

  await tabTo(page, lead.getByLabel("Countries"));
  await page.keyboard.type("Germany");
  await page.keyboard.press("Enter");
  await expect(lead.getByRole("button", { name: "Remove Germany" })).toBeVisible();

  await tabTo(page, lead.getByLabel("Employees, at least"));
  await page.keyboard.type("100");

  // Choose a filter type with the arrow keys and press "Add filter" with Space.
  const kind = page.getByLabel("Filter type");
  await tabTo(page, kind);
  for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowDown");
  await expect(kind).toHaveValue("maxPeoplePerCompany");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Add filter" })).toBeFocused();
  await page.keyboard.press("Space");
  const limit = row(page, /Max people per company/);
  await expect(limit).toHaveCount(1);
  // The new row comes before the "Add filter" controls.
  await tabTo(page, limit.getByLabel("At most this many people per company"), { backward: true });
  await page.keyboard.type("2");

  // A second filter with Enter on the button.
  await tabTo(page, kind);
  for (let i = 0; i < 2; i++) await page.keyboard.press("ArrowUp");
  await expect(kind).toHaveValue("webscraping");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  const scraping = row(page, /Web scraping/);
  await expect(scraping).toHaveCount(1);
  await tabTo(page, scraping.getByLabel("What to extract"), { backward: true });
  await page.keyboard.type("Extract the pricing");
  await tabTo(page, scraping.getByLabel("Pages must mention"));
  await page.keyboard.type("enterprise");
  await page.keyboard.press("Enter");
  await expect(scraping.getByRole("button", { name: "Remove enterprise" })).toBeVisible();
  expect(saves).toEqual([]);

  // CRM: Space toggles the checkbox.
  const crm = page.getByLabel("Also source leads from Bullhorn");
  await tabTo(page, crm);
  await page.keyboard.press("Space");
  await expect(crm).toBeChecked();
  await tabTo(page, page.getByLabel("Text search"));
  await page.keyboard.type("Director OR Manager");

  // Save with Enter on the last "Create ICP" button.
  await tabTo(page, page.getByRole("button", { name: "Create ICP" }).last());
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name);

  const id = new URL(page.url()).pathname.split("/").pop();
  const stored = await (await page.request.get(`/api/v1/entities/icps/${id}`)).json();
  expect(stored).toMatchObject({
    name,
    leadProviderCriteria: [
      {
        provider: "baseProvider",
        type: "person",
        filters: {
          job_title: ["CTO", "VP Engineering"],
          location: { country: ["Germany"] },
          company: { employee_size: { min: 100 } },
        },
      },
    ],
    customFilterCriteria: [
      { type: "maxPeoplePerCompany", value: 2 },
      { type: "webscraping", provider: "firecrawl", extractionPrompt: "Extract the pricing", includeSearchStrings: ["enterprise"] },
    ],
    crmFilters: { provider: "bullhorn", textSearch: "Director OR Manager" },
  });
});

test("row buttons work with Enter and Space; Enter in a text field does not save, the button does", async ({ page }) => {
  const name = `Enter saves ${uniqueTag()}`;
  const addLead = page.getByRole("button", { name: "Add lead source" });
  await tabTo(page, addLead);
  await page.keyboard.press("Enter");
  await expect(row(page, "Lead source 2")).toHaveCount(1);
  // The cursor goes on in the row just added.
  await expect(row(page, "Lead source 2").getByRole("combobox", { name: "Search for" })).toBeFocused();
  await tabTo(page, addLead);
  await page.keyboard.press("Space");
  await expect(row(page, "Lead source 3")).toHaveCount(1);

  // Remove lead source 2 with Space; the others are renumbered.
  await tabTo(page, page.getByRole("button", { name: "Remove lead source 2" }), { backward: true });
  await page.keyboard.press("Space");
  await expect(page.getByRole("button", { name: /^Remove lead source \d$/ })).toHaveCount(2);
  await expect(row(page, "Lead source 3")).toHaveCount(0);

  await tabTo(page, row(page, "Lead source 2").getByLabel("Job titles"), { backward: true });
  await page.keyboard.type("Sales Director");
  await page.keyboard.press("Enter");
  await expect(row(page, "Lead source 2").getByRole("button", { name: "Remove Sales Director" })).toBeVisible();

  const nameInput = page.getByRole("textbox", { name: "Name", exact: true });
  await tabTo(page, nameInput, { backward: true });
  await page.keyboard.type(name);
  // Enter in a plain text field saves nothing; the first "Create ICP" button does.
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/icps\/new$/);
  await expect(nameInput).toBeFocused();
  await tabTo(page, page.getByRole("button", { name: "Create ICP" }).first(), { backward: true });
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
  await expect(page.getByRole("region", { name: "Lead sources" }).getByRole("listitem")).toHaveText([
    "People",
    "People · Job titles: Sales Director",
  ]);

  // The delete confirmation opens from the keyboard too.
  const summary = page.getByText("Delete…");
  await tabTo(page, summary);
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("button", { name: "Yes, delete this ICP" });
  await expect(confirm).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(confirm).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/icps$/);
  await expect(page.getByRole("link", { name })).toHaveCount(0);
});

// Targeting is picked, not typed (issue 26): lists with a vocabulary suggest its values (the
// browser's own combobox over a <datalist> the server renders), codes, aliases and case variants
// fold to one value, a pasted column becomes one value per line, an unknown value is kept with a
// warning, and Enter in a single-line field never saves.
import { test, expect, signUp, visit, row, uniqueTag, previewBody, addFilter, waitForHydration } from "../support/app";
import type { Locator } from "@playwright/test";

/** Pastes `text` into `input` as a clipboard paste would (a ClipboardEvent with its data). */
async function paste(input: Locator, text: string) {
  await input.focus();
  await input.evaluate((element, text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    element.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

async function add(input: Locator, typed: string) {
  await input.fill(typed);
  await input.press("Enter");
  await expect(input).toHaveValue("");
}

test.beforeEach(async ({ page }) => {
  await signUp(page);
  await visit(page, "/icps/new");
});

test("countries are picked from ISO 3166 and their variants fold to one value", async ({ page }) => {
  const lead = row(page, "Lead source 1");
  const countries = lead.getByRole("combobox", { name: "Countries" });
  const chips = lead.getByRole("list", { name: "Added" }).getByRole("listitem");

  // The box suggests from the server's list of countries: "schw" finds Switzerland by its
  // German name, which the option carries with its codes.
  await expect(countries).toHaveAttribute("list", "vocabulary-countries");
  const switzerland = page.locator("#vocabulary-countries option[value='Switzerland']");
  await expect(switzerland).toHaveCount(1);
  expect(await switzerland.getAttribute("label")).toMatch(/(^|· )Schweiz( ·|$)/i);
  expect(await switzerland.getAttribute("label")).toMatch(/^CH · /);

  await add(countries, "Schweiz");
  await expect(lead.getByRole("button", { name: "Remove Switzerland" })).toBeVisible();
  for (const variant of ["CH", "switzerland", "SUISSE"]) {
    await add(countries, variant);
  }
  await expect(chips).toHaveCount(1);

  // Several at once, with duplicates in any case: one value each.
  await add(countries, "Deutschland; germany, GERMANY, AT");
  await expect(lead.getByRole("list", { name: "Added" }).first().getByRole("listitem")).toHaveText([
    "Switzerland×",
    "Germany×",
    "Austria×",
  ]);

  // A value the vocabulary does not know is kept, and says so.
  await add(countries, "Atlantis");
  const atlantis = lead.getByRole("listitem").filter({ hasText: "Atlantis" });
  await expect(atlantis).toContainText("not a known country");
  await expect(lead.getByRole("button", { name: "Remove Atlantis" })).toBeVisible();

  // The API body beside the form says the same (redrawn once typing pauses).
  await expect.poll(() => previewBody(page)).toMatchObject({
    leadProviderCriteria: [
      { filters: { location: { country: ["Switzerland", "Germany", "Austria", "Atlantis"] } } },
    ],
  });
});

test("seniority and industries resolve their aliases and codes", async ({ page }) => {
  const lead = row(page, "Lead source 1");
  await add(lead.getByRole("combobox", { name: "Seniority" }), "c-level");
  await add(lead.getByRole("combobox", { name: "Seniority" }), "Vice President");
  await add(lead.getByRole("combobox", { name: "Industries" }), "513");
  await expect(lead.getByRole("button", { name: "Remove C-Suite" })).toBeVisible();
  await expect(lead.getByRole("button", { name: "Remove VP" })).toBeVisible();
  await expect(lead.getByRole("button", { name: "Remove Publishing Industries" })).toBeVisible();
  await expect(lead.getByText("not a known")).toHaveCount(0);
});

test("states or regions suggest the regions of the row's countries", async ({ page }) => {
  const lead = row(page, "Lead source 1");
  const regions = lead.getByRole("combobox", { name: "States or regions" });
  await expect(regions).toHaveAttribute("list", "vocabulary-regions");
  // No country yet: nothing to suggest.
  await regions.focus();
  await expect(page.locator("#vocabulary-regions option")).toHaveCount(0);

  await add(lead.getByRole("combobox", { name: "Countries" }), "Schweiz");
  await regions.focus();
  // Switzerland's 26 cantons, each with its ISO 3166-2 code.
  await expect(page.locator("#vocabulary-regions option")).toHaveCount(26);
  expect(await page.locator("#vocabulary-regions option[value='Zürich']").getAttribute("label")).toMatch(/^CH-ZH/);
  await add(regions, "zürich");
  await expect(lead.getByRole("button", { name: "Remove Zürich" })).toBeVisible();
  await add(regions, "Bayern");
  await expect(lead.getByRole("listitem").filter({ hasText: "Bayern" })).toContainText("not a known region");

  // Another country in the row: its regions join on the next focus.
  await add(lead.getByRole("combobox", { name: "Countries" }), "DE");
  await regions.focus();
  await expect(page.locator("#vocabulary-regions option")).toHaveCount(42);
  await expect.poll(() => previewBody(page)).toMatchObject({
    leadProviderCriteria: [{ filters: { location: { state: ["Zürich", "Bayern"] } } }],
  });
});

test("a pasted column becomes one value per line, without duplicates", async ({ page }) => {
  const lead = row(page, "Lead source 1");
  const titles = lead.getByRole("textbox", { name: "Job titles" });
  const chips = lead.getByRole("list", { name: "Added" }).getByRole("listitem");
  await paste(titles, "CTO\nVP Engineering\nHead of IT\ncto\n");
  await expect(titles).toHaveValue("");
  for (const title of ["CTO", "VP Engineering", "Head of IT"]) {
    await expect(lead.getByRole("button", { name: `Remove ${title}` })).toBeVisible();
  }
  await expect(chips).toHaveCount(3);
  // A single word pastes as typing does, into the box.
  await paste(titles, "CIO");
  await expect(chips).toHaveCount(3);
});

test("Enter in a single-line field never saves; the save button does", async ({ page }) => {
  const name = `Targeted ${uniqueTag()}`;
  const nameInput = page.getByRole("textbox", { name: "Name", exact: true });
  await nameInput.fill(name);
  await nameInput.press("Enter");
  const lead = row(page, "Lead source 1");
  await lead.getByLabel("Employees, at least").fill("100");
  await lead.getByLabel("Employees, at least").press("Enter");
  await add(lead.getByRole("combobox", { name: "Countries" }), "Schweiz");
  await expect(page).toHaveURL(/\/icps\/new$/);

  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  const id = new URL(page.url()).pathname.split("/").pop();
  const stored = await (await page.request.get(`/api/v1/entities/icps/${id}`)).json();
  expect(stored.leadProviderCriteria[0].filters).toMatchObject({
    location: { country: ["Switzerland"] },
    company: { employee_size: { min: 100 } },
  });
});

test("history says which values changed, and what an ICP started with", async ({ page, baseURL }) => {
  const name = `History ${uniqueTag()}`;
  const lead = (countries: string[]) => ({
    provider: "baseProvider",
    filters: { job_title: ["CTO", "CIO"], location: { country: countries } },
  });
  const created = await page.request.post("/api/v1/entities/icps", {
    data: {
      name,
      leadProviderCriteria: [lead(["Germany", "Austria"])],
      customFilterCriteria: [{ type: "minDaysUntilReuse", value: 180 }],
      userIds: [],
    },
    headers: { Origin: baseURL! },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  const changed = await page.request.patch(`/api/v1/entities/icps/${id}`, {
    data: {
      leadProviderCriteria: [
        { provider: "baseProvider", filters: { job_title: ["CTO"], location: { country: ["Germany", "Austria", "Liechtenstein"] } } },
      ],
      customFilterCriteria: [{ type: "minDaysUntilReuse", value: 90 }],
    },
    headers: { Origin: baseURL! },
  });
  expect(changed.status()).toBe(200);

  await visit(page, `/icps/${id}/history`);
  const versions = page.getByRole("list", { name: "Versions, newest first" });
  const edit = versions.getByRole("listitem").filter({ hasText: "Edited by" });
  await expect(edit.getByRole("listitem")).toHaveText([
    "Job titles: − CIO",
    "Countries: + Liechtenstein",
    "Min days before reuse: 180 → 90",
  ]);
  const creation = versions.getByRole("listitem").filter({ hasText: "Created by" });
  await expect(creation).toContainText(`Name: “${name}”`);
  await expect(creation).toContainText("Lead source 1: People · Job titles: CTO, CIO · Countries: Germany, Austria");
  await expect(creation).toContainText("Filter: Min days before reuse: A lead is reused only after 180 days");
});

test("the edit page names the ICP and cancels back to it", async ({ page, baseURL }) => {
  const created = await page.request.post("/api/v1/entities/icps", {
    data: { name: "DACH buyers", leadProviderCriteria: [], customFilterCriteria: [], userIds: [] },
    headers: { Origin: baseURL! },
  });
  const { id } = await created.json();
  await visit(page, `/icps/${id}/edit`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Edit “DACH buyers”");
  await expect(page).toHaveTitle(/Edit “DACH buyers”/);
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(new RegExp(`/icps/${id}$`));
  await visit(page, "/icps/new");
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/icps$/);
});

test("saving an ICP that targets everyone asks first: save anyway, or go back", async ({ page }) => {
  const name = `Everyone ${uniqueTag()}`;
  await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
  await page.getByRole("button", { name: "Create ICP" }).last().click();
  const warning = page.getByRole("alert").filter({ hasText: "targets everyone" });
  await expect(warning).toBeVisible();
  await expect(warning).toBeFocused();
  await expect(page).toHaveURL(/\/icps\/new$/);

  // Going back puts the cursor in the first lead source; adding a filter answers the warning.
  await warning.getByRole("button", { name: "Go back and add filters" }).click();
  await expect(warning).toBeHidden();
  await expect(row(page, "Lead source 1").getByLabel("Job titles")).toBeFocused();

  // Saved anyway, as it is.
  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(warning).toBeVisible();
  await warning.getByRole("button", { name: "Save anyway" }).click();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
});

test("rarely needed fields wait under Advanced, and Leads per list says what it is", async ({ page }) => {
  await expect(page.getByText("How many leads each list made for this ICP holds: 1 to 1,000")).toBeVisible();
  await page.getByLabel("Also source leads from Bullhorn").check();
  const legacy = page.getByLabel("Legacy query");
  await expect(legacy).toBeHidden();
  await page.getByText("Advanced", { exact: true }).click();
  await expect(legacy).toBeVisible();
});

test("a field condition is said in words, stored as the API's pattern and read back as words", async ({ page }) => {
  const name = `Words ${uniqueTag()}`;
  await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
  await add(row(page, "Lead source 1").getByLabel("Job titles", { exact: true }), "CTO");
  const condition = await addFilter(page, "Field condition");
  // The field is picked from the lead fields the reference names, each shown by its name.
  const field = condition.getByRole("combobox", { name: "Lead field" });
  await expect(field).toHaveAttribute("list", "lead-fields");
  await expect(page.locator("#lead-fields option[value='company.name']")).toHaveText("Company name");
  await field.fill("company.name");
  await condition.getByRole("combobox", { name: "Condition", exact: true }).selectOption({ label: "does not contain" });
  await condition.getByRole("textbox", { name: "Value", exact: true }).fill("Test");
  await expect.poll(() => previewBody(page)).toMatchObject({
    customFilterCriteria: [{ type: "matchFieldWithRegex", field: "company.name", regex: "^(?!.*Test).*$" }],
  });
  // A value with the pattern language's own characters is taken literally.
  await condition.getByRole("combobox", { name: "Condition", exact: true }).selectOption({ label: "is" });
  await condition.getByRole("textbox", { name: "Value", exact: true }).fill("Acme (EU)");
  await expect.poll(() => previewBody(page)).toMatchObject({
    customFilterCriteria: [{ regex: "^Acme \\(EU\\)$" }],
  });
  await condition.getByRole("combobox", { name: "Condition", exact: true }).selectOption({ label: "does not contain" });
  await condition.getByRole("textbox", { name: "Value", exact: true }).fill("Test");

  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  const filters = page.getByRole("region", { name: "Custom filters" });
  await expect(filters.getByRole("listitem")).toHaveText(["Field condition: Company name does not contain “Test”"]);

  // Edited, the stored pattern is read back into the same words.
  await page.getByRole("link", { name: "Edit" }).first().click();
  await waitForHydration(page);
  const again = row(page, /Field condition/);
  await expect(again.getByRole("combobox", { name: "Lead field" })).toHaveValue("company.name");
  await expect(again.getByRole("combobox", { name: "Condition", exact: true })).toHaveValue("notContains");
  await expect(again.getByRole("textbox", { name: "Value", exact: true })).toHaveValue("Test");
});

test("Add puts the cursor in the row it added", async ({ page }) => {
  await page.getByRole("button", { name: "Add lead source" }).click();
  await expect(row(page, "Lead source 2").getByRole("combobox", { name: "Search for" })).toBeFocused();
  const website = await addFilter(page, "Website check");
  await expect(website.getByRole("textbox", { name: /What should the agent check/ })).toBeFocused();
  await page.getByLabel("Also source leads from Bullhorn").check();
  await page.getByRole("button", { name: "Add condition" }).click();
  await expect(row(page, "Condition 1").getByRole("combobox", { name: "Bullhorn field" })).toBeFocused();
});

test("a CRM condition picks its Bullhorn field by name", async ({ page }) => {
  await page.getByLabel("Also source leads from Bullhorn").check();
  await page.getByRole("button", { name: "Add condition" }).click();
  const field = row(page, "Condition 1").getByRole("combobox", { name: "Bullhorn field" });
  await expect(field).toHaveAttribute("list", "crm-fields");
  await expect(page.locator("#crm-fields option[value='address.countryName']")).toHaveText("Country");
  await field.fill("address.countryName");
  await expect.poll(() => previewBody(page)).toMatchObject({
    crmFilters: { filters: [{ path: "address.countryName" }] },
  });
});

test("a Companies search shows only company fields", async ({ page }) => {
  const lead = row(page, "Lead source 1");
  for (const label of ["Job titles", "Seniority", "Skills", "Countries", "Industries"]) {
    await expect(lead.getByLabel(label, { exact: true })).toBeVisible();
  }
  await lead.getByRole("combobox", { name: "Search for" }).selectOption({ label: "Companies" });
  for (const label of ["Job titles", "Seniority", "Skills"]) {
    await expect(lead.getByLabel(label, { exact: true })).toBeHidden();
  }
  for (const label of ["Countries", "Industries", "Company keywords"]) {
    await expect(lead.getByLabel(label, { exact: true })).toBeVisible();
  }
  await expect.poll(() => previewBody(page)).toMatchObject({ leadProviderCriteria: [{ type: "company" }] });
  await lead.getByRole("combobox", { name: "Search for" }).selectOption({ label: "People" });
  await expect(lead.getByLabel("Job titles", { exact: true })).toBeVisible();
});

test("leaving the builder with unsaved changes asks first; saving never asks", async ({ page, baseURL }) => {
  const created = await page.request.post("/api/v1/entities/icps", {
    data: { name: "Unsaved buyers", leadProviderCriteria: [], customFilterCriteria: [], userIds: [] },
    headers: { Origin: baseURL! },
  });
  const { id } = await created.json();
  await visit(page, `/icps/${id}/edit`);
  // Unchanged: Cancel leaves at once.
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(new RegExp(`/icps/${id}$`));

  // Changed: the browser asks; staying keeps what was typed.
  await visit(page, `/icps/${id}/edit`);
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Unsaved buyers, renamed");
  const asked = new Promise<string>((resolve) =>
    page.once("dialog", async (dialog) => {
      resolve(dialog.type());
      await dialog.dismiss();
    }),
  );
  await page.getByRole("link", { name: "Cancel" }).click();
  expect(await asked).toBe("beforeunload");
  await expect(page).toHaveURL(new RegExp(`/icps/${id}/edit$`));
  await expect(page.getByRole("textbox", { name: "Name", exact: true })).toHaveValue("Unsaved buyers, renamed");

  // Saving leaves without asking.
  page.on("dialog", (dialog) => {
    throw new Error(`unexpected ${dialog.type()} dialog`);
  });
  await page.getByRole("button", { name: "Save changes" }).first().click();
  await expect(page).toHaveURL(new RegExp(`/icps/${id}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Unsaved buyers, renamed");
});

test("Back to the builder brings back every value, tags and rows included", async ({ page }) => {
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Back again");
  const lead = row(page, "Lead source 1");
  await add(lead.getByRole("combobox", { name: "Countries" }), "Liechtenstein");
  const reuse = await addFilter(page, "Min days before reuse");
  await reuse.getByLabel("Days before a lead may be reused").fill("90");
  await expect.poll(() => previewBody(page)).toMatchObject({ customFilterCriteria: [{ value: 90 }] });
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/icps$/);
  await page.goBack();
  await waitForHydration(page);
  await expect(page.getByRole("textbox", { name: "Name", exact: true })).toHaveValue("Back again");
  await expect(lead.getByRole("button", { name: "Remove Liechtenstein" })).toBeVisible();
  await expect(row(page, /Min days before reuse/).getByLabel("Days before a lead may be reused")).toHaveValue("90");
  await expect.poll(() => previewBody(page)).toMatchObject({
    name: "Back again",
    leadProviderCriteria: [{ filters: { location: { country: ["Liechtenstein"] } } }],
    customFilterCriteria: [{ type: "minDaysUntilReuse", value: 90 }],
  });
  // Saved, it is forgotten: Back from the saved ICP opens the builder afresh.
  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  await page.goBack();
  await waitForHydration(page);
  await expect(row(page, /Min days before reuse/)).toHaveCount(0);
});

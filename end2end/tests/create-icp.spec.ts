// A sales person builds a full ICP in the browser and finds it stored exactly as entered.
import {
  test,
  expect,
  signUp,
  visit,
  creatorId,
  row,
  addTags,
  addFilter,
  previewBody,
  uniqueTag,
} from "../support/app";

test("an ICP built with a lead source, all seven filter types and CRM filters is stored exactly as entered", async ({
  page,
}) => {
  const account = await signUp(page);
  await visit(page, "/icps/new");
  await expect(page.getByRole("heading", { level: 1, name: "New ICP" })).toBeVisible();
  const me = await creatorId(page);
  // Shared with the creator, shown by name.
  await expect(page.locator(".tag-fixed")).toHaveText(`${account.name} (you)`);
  const name = `DACH Tech Leaders ${uniqueTag()}`;

  // Basics.
  await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
  await page.getByLabel("Description").fill("Technology leaders in German-speaking regions");
  await page.getByLabel("Leads per list").fill("25");
  await page.getByLabel("Active until (UTC)").fill("2031-06-30T12:30");
  await addTags(page.getByLabel("Share with teammates"), ["user_teammate123"]);
  await expect(page.getByRole("button", { name: "Remove user_teammate123" })).toBeVisible();

  // The new form starts with one lead-source row.
  const lead = row(page, "Lead source 1");
  await expect(lead).toHaveCount(1);
  await lead.getByLabel("Search for").selectOption({ label: "People" });
  await addTags(lead.getByLabel("Job titles"), ["CTO", "VP Engineering"]);
  await addTags(lead.getByLabel("Countries"), ["Germany"]);
  await lead.getByLabel("Employees, at least").fill("100");
  await lead.getByLabel("Employees, at most").fill("5000");
  await expect(lead.getByRole("button", { name: "Remove CTO" })).toBeVisible();
  await expect(lead.getByRole("button", { name: "Remove VP Engineering" })).toBeVisible();

  // All seven custom filter types, each with its own fields.
  const website = await addFilter(page, "Website check");
  await website.getByLabel("What should the agent check on the website?").fill("Check if company offers B2B SaaS products");

  const scraping = await addFilter(page, "Web scraping");
  await scraping.getByLabel("What to extract").fill("Extract pricing information");
  await scraping.getByLabel("How to find the page (optional)").fill("Find the pricing page");
  await addTags(scraping.getByLabel("Pages must mention"), ["enterprise", "pricing"]);
  await addTags(scraping.getByLabel("Pages must not mention"), ["free trial only"]);

  const ai = await addFilter(page, "AI judgement");
  await ai.getByLabel("Judge the").selectOption({ label: "Company" });
  await ai.getByLabel("Question for the AI").fill("Does this company sell to enterprises?");

  const maxPeople = await addFilter(page, "Max people per company");
  await maxPeople.getByLabel("At most this many people per company").fill("2");

  const maxCrm = await addFilter(page, "Max share from CRM");
  await maxCrm.getByLabel("At most this % of leads from the CRM").fill("50");

  const reuse = await addFilter(page, "Min days before reuse");
  await reuse.getByLabel("Days before a lead may be reused").fill("180");

  const regex = await addFilter(page, "Field condition");
  await regex.getByRole("combobox", { name: "Lead field" }).fill("company.name");
  // Picked from the lead fields, and said in words: stored as the reference's pattern.
  await regex.getByRole("combobox", { name: "Condition", exact: true }).selectOption({ label: "does not contain" });
  await regex.getByRole("textbox", { name: "Value", exact: true }).fill("Test");

  // CRM: text search and one "is one of" condition.
  await page.getByLabel("Also source leads from Bullhorn").check();
  await page.getByLabel("Text search").fill("Director OR Manager");
  await page.getByRole("button", { name: "Add condition" }).click();
  const condition = row(page, "Condition 1");
  await condition.getByRole("combobox", { name: "Bullhorn field" }).fill("address.countryName");
  await condition.getByLabel("Match", { exact: true }).selectOption({ label: "is one of" });
  await condition.getByLabel("Value (comma-separated for “is one of”)").fill("Germany, Austria");

  const customFilterCriteria = [
    { type: "website", provider: "browserUse", prompt: "Check if company offers B2B SaaS products" },
    {
      type: "webscraping",
      provider: "firecrawl",
      extractionPrompt: "Extract pricing information",
      pageFindingPrompt: "Find the pricing page",
      includeSearchStrings: ["enterprise", "pricing"],
      excludeSearchStrings: ["free trial only"],
    },
    { type: "ai", entityType: "company", prompt: "Does this company sell to enterprises?" },
    { type: "maxPeoplePerCompany", value: 2 },
    { type: "maxPercentFromCRM", value: 50 },
    { type: "minDaysUntilReuse", value: 180 },
    { type: "matchFieldWithRegex", field: "company.name", regex: "^(?!.*Test).*$" },
  ];
  const entered = {
    name,
    description: "Technology leaders in German-speaking regions",
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
    customFilterCriteria,
    crmFilters: {
      provider: "bullhorn",
      textSearch: "Director OR Manager",
      filters: [{ path: "address.countryName", mode: "in", value: ["Germany", "Austria"], exclude: false }],
    },
    leadsPerList: 25,
    activeUntil: "2031-06-30T12:30:00.000Z",
  };

  // The live preview is the body the API receives (the creator is added on save).
  await expect.poll(() => previewBody(page)).toEqual({ ...entered, userIds: ["user_teammate123"] });

  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const id = new URL(page.url()).pathname.split("/").pop()!;

  // The ICP's page, in words.
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
  await expect(page.locator("p.description")).toHaveText("Technology leaders in German-speaking regions");
  const basics = page.locator("dl.facts");
  await expect(basics).toContainText("Leads per list25");
  await expect(basics).toContainText("30 Jun 2031, 12:30 UTC");
  // Members by name (an id that names no teammate as the id); the creator owns it.
  await expect(basics).toContainText(`Shared withuser_teammate123, ${account.name}`);
  await expect(basics).toContainText(`Owner${account.name}`);
  const sources = page.getByRole("region", { name: "Lead sources" });
  await expect(sources.getByRole("listitem")).toHaveText([
    "People · Job titles: CTO, VP Engineering · Countries: Germany · 100–5000 employees",
  ]);
  const filters = page.getByRole("region", { name: "Custom filters" });
  await expect(filters.getByRole("listitem")).toHaveText([
    "Website check: Website check by a browser agent: “Check if company offers B2B SaaS products”",
    "Web scraping: Scrape the website and extract: “Extract pricing information”; find the page by: “Find the pricing page”; pages must mention enterprise, pricing; pages must not mention free trial only",
    "AI judgement: AI judges the company: “Does this company sell to enterprises?”",
    "Max people per company: At most 2 people per company",
    "Max share from CRM: At most 50% of leads from the CRM",
    "Min days before reuse: A lead is reused only after 180 days",
    "Field condition: Company name does not contain “Test”",
  ]);
  const crm = page.getByRole("region", { name: "CRM" });
  await expect(crm).toContainText("Bullhorn · text search “Director OR Manager”");
  await expect(crm.getByRole("listitem")).toHaveText([
    "Contacts where address.countryName is one of Germany, Austria",
  ]);
  // The API body is folded away until asked for.
  await expect(page.getByLabel("The ICP as JSON")).toBeHidden();
  await page.getByText("API body").click();
  const shownJson = JSON.parse(await page.getByLabel("The ICP as JSON").innerText());

  // The API answers the stored ICP: what was entered, plus what the server sets.
  const response = await page.request.get(`/api/v1/entities/icps/${id}`);
  expect(response.status()).toBe(200);
  const stored = await response.json();
  expect(stored).toEqual({
    ...entered,
    id,
    userIds: ["user_teammate123", me],
    createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    updatedAt: stored.createdAt,
  });
  expect(stored.customFilterCriteria).toStrictEqual(customFilterCriteria);
  // The detail page shows the same JSON.
  expect(shownJson).toStrictEqual(stored);

  // And the ICP is in the list.
  await visit(page, "/icps");
  const card = page.getByRole("row").filter({ has: page.getByRole("link", { name }) });
  await expect(card).toHaveCount(1);
  // Whom it targets, in a line; the description on hover.
  await expect(card.getByRole("cell").first()).toHaveText("CTO, VP Engineering · Germany · 100–5000 employees");
  await expect(card.getByRole("link", { name })).toHaveAttribute("title", "Technology leaders in German-speaking regions");
  await expect(card.getByRole("link", { name })).toHaveAttribute("href", `/icps/${id}`);
});

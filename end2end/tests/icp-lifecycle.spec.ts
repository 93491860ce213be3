// After creating: editing (the form shows exactly what is stored), duplicating and deleting an ICP.
import { test, expect, signUp, visit, row, createIcpViaApi, uniqueTag } from "../support/app";

const everything = (name: string) => ({
  name,
  description: "Every kind of field",
  leadProviderCriteria: [
    {
      provider: "baseProvider",
      type: "company",
      filters: {
        job_title: ["CTO"],
        seniority: ["VP"],
        skills: ["Rust"],
        location: { country: ["Germany", "Austria"], state: ["Bavaria"], city: ["Munich"] },
        company: { employee_size: { min: 10, max: 500 }, industry: ["SaaS"], keywords: ["ai"] },
        funding_stage: ["Seed"],
      },
    },
  ],
  customFilterCriteria: [
    { type: "website", provider: "browserUse", prompt: "B2B?" },
    {
      type: "webscraping",
      provider: "firecrawl",
      extractionPrompt: "Pricing",
      pageFindingPrompt: "Find it",
      includeSearchStrings: ["enterprise"],
      excludeSearchStrings: ["free"],
    },
    { type: "ai", entityType: "person", prompt: "Hiring authority?" },
    { type: "maxPeoplePerCompany", value: 3 },
    { type: "maxPercentFromCRM", value: 12.5 },
    { type: "minDaysUntilReuse", value: 0 },
    { type: "matchFieldWithRegex", field: "company.name", regex: "^(?!.*Test).*$" },
  ],
  crmFilters: {
    provider: "bullhorn",
    textSearch: "Head OR Leit*",
    query: "legacy",
    filters: [
      { path: "address.countryName", mode: "in", value: ["Germany", "Austria"], exclude: false },
      { path: "status", mode: "startsWith", value: "Act", exclude: true },
    ],
  },
  userIds: ["user_teammate123"],
  leadsPerList: 42,
  activeUntil: "2031-01-02T03:04:05.000Z",
});

test("saving the edit form unchanged keeps the ICP exactly as stored; a change is saved", async ({ page, baseURL }) => {
  await signUp(page);
  const icp = await createIcpViaApi(page, everything(`Round trip ${uniqueTag()}`), baseURL!);

  await visit(page, `/icps/${icp.id}`);
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page).toHaveURL(`/icps/${icp.id}/edit`);
  await expect(page.getByRole("heading", { level: 1, name: /^Edit “/ })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Name", exact: true })).toHaveValue(icp.name);
  await expect(page.getByLabel("Leads per list")).toHaveValue("42");
  await expect(page.getByLabel("Active until (UTC)")).toHaveValue("2031-01-02T03:04:05");
  await expect(page.getByLabel("Also source leads from Bullhorn")).toBeChecked();
  await expect(page.getByLabel("At most this % of leads from the CRM")).toHaveValue("12.5");
  await expect(row(page, "Condition 2").getByLabel("Exclude contacts that match")).toBeChecked();

  // Saved without a change: the stored ICP is the same (only updatedAt moves).
  await page.getByRole("button", { name: "Save changes" }).first().click();
  await expect(page).toHaveURL(`/icps/${icp.id}`);
  const again = await (await page.request.get(`/api/v1/entities/icps/${icp.id}`)).json();
  expect({ ...again, updatedAt: null }).toEqual({ ...icp, updatedAt: null });

  // A change is saved, and nothing else moves.
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page).toHaveURL(`/icps/${icp.id}/edit`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await page.getByLabel("At most this many people per company").fill("5");
  await page.getByRole("button", { name: "Save changes" }).first().click();
  await expect(page).toHaveURL(`/icps/${icp.id}`);
  await expect(page.getByRole("region", { name: "Custom filters" })).toContainText("At most 5 people per company");
  const changed = await (await page.request.get(`/api/v1/entities/icps/${icp.id}`)).json();
  const expected = structuredClone(icp) as ReturnType<typeof everything> & Record<string, unknown>;
  expected.customFilterCriteria[3] = { type: "maxPeoplePerCompany", value: 5 };
  expect({ ...changed, updatedAt: null }).toEqual({ ...expected, updatedAt: null });
  expect(Date.parse(changed.updatedAt)).toBeGreaterThan(Date.parse(icp.updatedAt as string));
});

test("duplicating starts a new ICP from a copy; deleting removes it after a confirmation", async ({ page, baseURL }) => {
  await signUp(page);
  const icp = await createIcpViaApi(page, everything(`Original ${uniqueTag()}`), baseURL!);

  await visit(page, `/icps/${icp.id}`);
  await page.getByRole("link", { name: "Duplicate" }).click();
  await expect(page).toHaveURL(`/icps/new?from=${icp.id}`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.getByRole("textbox", { name: "Name", exact: true })).toHaveValue(`Copy of ${icp.name}`);
  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  const copyId = new URL(page.url()).pathname.split("/").pop()!;
  expect(copyId).not.toBe(icp.id);
  const copy = await (await page.request.get(`/api/v1/entities/icps/${copyId}`)).json();
  const strip = (x: Record<string, unknown>) => ({ ...x, id: null, name: null, createdAt: null, updatedAt: null });
  expect(strip(copy)).toEqual(strip(icp));
  expect(copy.name).toBe(`Copy of ${icp.name}`);

  // Delete the copy: first the confirmation, then the real button.
  const confirm = page.getByRole("button", { name: "Yes, delete this ICP" });
  await expect(confirm).toBeHidden();
  await page.getByText("Delete…").click();
  await expect(confirm).toBeVisible();
  await expect(page.locator("details.confirm")).toContainText(`Delete “Copy of ${icp.name}”`);
  await confirm.click();
  await expect(page).toHaveURL(/\/icps$/);
  await expect(page.getByRole("link", { name: `Copy of ${icp.name}` })).toHaveCount(0);
  await expect(page.getByRole("link", { name: icp.name, exact: true })).toBeVisible();
  expect((await page.request.get(`/api/v1/entities/icps/${copyId}`)).status()).toBe(404);
  const gone = await visit(page, `/icps/${copyId}`);
  expect(gone?.status()).toBe(404);
});

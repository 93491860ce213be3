// Clearing in the edit form: an emptied description or end date, a removed filter or CRM condition,
// and an unticked CRM section are stored as cleared (not kept, not half-kept), with JavaScript and
// without. Checked through the API with a token, as an integration would read the ICP.
import { test, expect, signUp, apiClient, createIcpViaApi, uniqueTag } from "../support/app";
import type { APIRequestContext, Page } from "@playwright/test";

const seed = (name: string) => ({
  name,
  description: "Cleared by the edit",
  leadProviderCriteria: [{ provider: "baseProvider", type: "person", filters: { job_title: ["CTO"] } }],
  customFilterCriteria: [
    { type: "maxPeoplePerCompany", value: 3 },
    { type: "ai", entityType: "person", prompt: "Hiring authority?" },
  ],
  crmFilters: {
    provider: "bullhorn",
    textSearch: "Head OR Leit*",
    filters: [
      { path: "address.countryName", mode: "in", value: ["Germany", "Austria"], exclude: false },
      { path: "status", mode: "startsWith", value: "Act", exclude: true },
    ],
  },
  userIds: [],
  leadsPerList: 25,
  activeUntil: "2031-01-02T03:04:05.000Z",
});

type Icp = Record<string, unknown> & { id: string; crmFilters: { filters: unknown[] } | null };

async function stored(api: APIRequestContext, id: string): Promise<Icp> {
  const response = await api.get(`/api/v1/entities/icps/${id}`);
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as Icp;
}

/** Clicks a button and, without JavaScript, waits for the form post it makes to be answered. */
async function press(page: Page, name: string, javaScript: boolean) {
  const button = page.getByRole("button", { name, exact: true }).first();
  if (javaScript) {
    await button.click();
    return;
  }
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/forms/icps")),
    button.click(),
  ]);
  expect(response.status(), `status of the post made by “${name}”`).toBeLessThan(400);
}

async function openEditForm(page: Page, id: string, javaScript: boolean) {
  await page.goto(`/icps/${id}/edit`);
  await expect(page.getByRole("heading", { level: 1, name: /^Edit “/ })).toBeVisible();
  if (javaScript) await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 20_000 });
  else await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
}

async function clearFieldsAndRows(page: Page, baseURL: string, javaScript: boolean) {
  await signUp(page, { javaScript });
  const icp = (await createIcpViaApi(page, seed(`Cleared ${uniqueTag()}`), baseURL)) as Icp;
  const api = await apiClient(page);
  try {
    expect(await stored(api, icp.id)).toEqual(icp);

    // Edit 1: empty the description and the end date, remove the first filter and the first condition.
    await openEditForm(page, icp.id, javaScript);
    await page.getByLabel("Description").fill("");
    await page.getByLabel("Active until (UTC)").fill("");
    await press(page, "Remove filter 1 (max people per company)", javaScript);
    await expect(page.getByLabel("At most this many people per company")).toHaveCount(0);
    await press(page, "Remove condition 1", javaScript);
    await expect(page.getByRole("button", { name: "Remove condition 2" })).toHaveCount(0);
    // What was cleared before a row post stays cleared in the form it renders.
    await expect(page.getByLabel("Description")).toHaveValue("");
    await expect(page.getByLabel("Active until (UTC)")).toHaveValue("");
    await press(page, "Save changes", javaScript);
    await expect(page).toHaveURL(`/icps/${icp.id}`);

    const afterFirst = await stored(api, icp.id);
    expect({ ...afterFirst, updatedAt: null }).toEqual({
      ...icp,
      description: null,
      activeUntil: null,
      customFilterCriteria: [{ type: "ai", entityType: "person", prompt: "Hiring authority?" }],
      crmFilters: { ...icp.crmFilters, filters: [icp.crmFilters!.filters[1]] },
      updatedAt: null,
    });

    // Edit 2: untick the CRM section; its text search and remaining condition go with it.
    await openEditForm(page, icp.id, javaScript);
    const crm = page.getByLabel("Also source leads from Bullhorn");
    await expect(crm).toBeChecked();
    await crm.uncheck();
    await press(page, "Save changes", javaScript);
    await expect(page).toHaveURL(`/icps/${icp.id}`);

    const afterSecond = await stored(api, icp.id);
    expect({ ...afterSecond, updatedAt: null }).toEqual({ ...afterFirst, crmFilters: null, updatedAt: null });

    // The edit form shows exactly that: nothing cleared comes back.
    await openEditForm(page, icp.id, javaScript);
    await expect(page.getByLabel("Description")).toHaveValue("");
    await expect(page.getByLabel("Active until (UTC)")).toHaveValue("");
    await expect(page.getByLabel("Also source leads from Bullhorn")).not.toBeChecked();
    await expect(page.getByLabel("At most this many people per company")).toHaveCount(0);
  } finally {
    await api.dispose();
  }
}

test("with JavaScript, an edit stores cleared fields and removed rows as cleared", async ({ page, baseURL }) => {
  await clearFieldsAndRows(page, baseURL!, true);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("an edit stores cleared fields and removed rows as cleared", async ({ page, baseURL }) => {
    await clearFieldsAndRows(page, baseURL!, false);
  });
});

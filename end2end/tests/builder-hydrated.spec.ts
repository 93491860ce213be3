// The hydrated builder: rows change in place, fields are checked as they are left, and errors the
// server finds are shown at the right fields.
import {
  test,
  expect,
  signUp,
  visit,
  row,
  rowKey,
  addTags,
  addFilter,
  previewBody,
  describedErrors,
  uniqueTag,
} from "../support/app";
import type { Page } from "@playwright/test";

/** Fails the test if the page is reloaded or navigated: a marker on `window` must survive. */
async function markPage(page: Page) {
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  return async () =>
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
}

test.beforeEach(async ({ page }) => {
  await signUp(page);
  await visit(page, "/icps/new");
});

test("adding and removing rows happens in place and keeps the other rows’ values and field names", async ({ page }) => {
  const noReload = await markPage(page);
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Rows stay put");

  const first = await addFilter(page, "Website check");
  const second = await addFilter(page, "AI judgement");
  const firstKey = await rowKey(first);
  const secondKey = await rowKey(second);
  expect(secondKey).not.toBe(firstKey);
  await first.getByLabel("What should the agent check on the website?").fill("First filter’s prompt");
  await second.getByLabel("Judge the").selectOption("company");
  await second.getByLabel("Question for the AI").fill("Second filter’s prompt");
  await expect(second.getByRole("heading", { level: 3 })).toContainText("filter 2");

  // Remove the first of the two filter rows.
  await page.getByRole("button", { name: "Remove filter 1 (website check)" }).click();
  await expect(page.getByLabel("What should the agent check on the website?")).toHaveCount(0);
  const remaining = row(page, /AI judgement/);
  await expect(remaining).toHaveCount(1);
  // The second row keeps its values and its field names, and is now filter 1.
  const prompt = remaining.getByLabel("Question for the AI");
  await expect(prompt).toHaveValue("Second filter’s prompt");
  await expect(prompt).toHaveAttribute("name", `filter.${secondKey}.prompt`);
  await expect(prompt).toHaveAttribute("id", `filter.${secondKey}.prompt`);
  await expect(remaining.getByLabel("Judge the")).toHaveValue("company");
  await expect(remaining.getByRole("heading", { level: 3 })).toContainText("filter 1");
  await expect(page.getByRole("button", { name: "Remove filter 1 (ai judgement)" })).toBeVisible();
  // A new row gets a key no row has used, even the removed one.
  const third = await addFilter(page, "Min days before reuse");
  const thirdKey = await rowKey(third);
  expect([firstKey, secondKey]).not.toContain(thirdKey);
  await third.getByLabel("Days before a lead may be reused").fill("30");

  // Lead sources: add a second one, fill both, remove the first.
  const lead1 = row(page, "Lead source 1");
  await addTags(lead1.getByLabel("Job titles"), ["CTO"]);
  await page.getByRole("button", { name: "Add lead source" }).click();
  const lead2 = row(page, "Lead source 2");
  await expect(lead2).toHaveCount(1);
  const lead2Key = await rowKey(lead2);
  await addTags(lead2.getByLabel("Countries"), ["Austria", "Switzerland"]);
  await lead2.getByLabel("Employees, at least").fill("50");
  await page.getByRole("button", { name: "Remove lead source 1" }).click();
  await expect(page.locator("li.row").filter({ has: page.getByLabel("Job titles") })).toHaveCount(1);
  const lead = row(page, "Lead source 1");
  await expect(lead.getByRole("button", { name: "Remove Austria" })).toBeVisible();
  await expect(lead.getByRole("button", { name: "Remove Switzerland" })).toBeVisible();
  await expect(lead.getByRole("button", { name: "Remove CTO" })).toHaveCount(0);
  await expect(lead.getByLabel("Employees, at least")).toHaveValue("50");
  await expect(lead.getByLabel("Employees, at least")).toHaveAttribute("name", `lead.${lead2Key}.employee_min`);

  // Removing a tag chip.
  await lead.getByRole("button", { name: "Remove Austria" }).click();
  await expect(lead.getByRole("button", { name: "Remove Austria" })).toHaveCount(0);

  await expect(page.getByRole("textbox", { name: "Name", exact: true })).toHaveValue("Rows stay put");
  await expect
    .poll(() => previewBody(page))
    .toMatchObject({
      name: "Rows stay put",
      leadProviderCriteria: [
        { provider: "baseProvider", type: "person", filters: { location: { country: ["Switzerland"] }, company: { employee_size: { min: 50 } } } },
      ],
      customFilterCriteria: [
        { type: "ai", entityType: "company", prompt: "Second filter’s prompt" },
        { type: "minDaysUntilReuse", value: 30 },
      ],
    });

  // Numbers are read as the server reads them: a fraction or an exponent is a number in the body.
  const share = (await addFilter(page, "Max share from CRM")).getByLabel("At most this % of leads from the CRM");
  await share.fill("12.5");
  await expect.poll(async () => (await previewBody(page)).customFilterCriteria).toContainEqual({
    type: "maxPercentFromCRM",
    value: 12.5,
  });
  await share.fill("2.5e1");
  await expect.poll(async () => (await previewBody(page)).customFilterCriteria).toContainEqual({
    type: "maxPercentFromCRM",
    value: 25,
  });
  await noReload();
});

test("fields are checked when they are left, with the error at the field and in the summary", async ({ page }) => {
  const noReload = await markPage(page);
  const serverCalls: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/fn/save_icp")) serverCalls.push(request.url());
  });
  const summary = page.locator(".error-summary");
  await expect(summary).toBeHidden();

  // An empty name, after typing and clearing it.
  const name = page.getByRole("textbox", { name: "Name", exact: true });
  await name.fill("Something");
  await name.fill("");
  await expect(name).not.toHaveAttribute("aria-invalid", "true");
  await name.press("Tab");
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("[id='name-error']")).toHaveText("Must not be empty");
  expect(await describedErrors(name)).toBe("Must not be empty");
  await expect(summary).toBeVisible();
  await expect(summary).toHaveAttribute("role", "alert");
  await expect(summary.getByRole("heading")).toHaveText("1 problem to fix");
  await expect(summary.getByRole("link", { name: "Name: Must not be empty" })).toHaveAttribute("href", "#name");

  // A bad pattern in a field condition that "matches pattern".
  const regexRow = await addFilter(page, "Field condition");
  const key = await rowKey(regexRow);
  await regexRow.getByRole("combobox", { name: "Lead field" }).fill("company.name");
  await regexRow.getByRole("combobox", { name: "Condition", exact: true }).selectOption({ label: "matches pattern" });
  const pattern = regexRow.getByRole("textbox", { name: "Value", exact: true });
  await pattern.fill("^(unclosed");
  await pattern.press("Tab");
  await expect(pattern).toHaveAttribute("aria-invalid", "true");
  const patternError = page.locator(`[id='filter.${key}.regex-error']`);
  await expect(patternError).toContainText("Invalid regular expression");
  expect(await describedErrors(pattern)).toContain("Invalid regular expression");
  await expect(summary.getByRole("heading")).toHaveText("2 problems to fix");
  const link = summary.getByRole("link", { name: /Custom filter 1 › regex: Invalid regular expression/ });
  await expect(link).toHaveAttribute("href", `#filter.${key}.regex`);
  // An untouched required field is not flagged before a submit.
  const untouched = (await addFilter(page, "Website check")).getByLabel("What should the agent check on the website?");
  await expect(untouched).not.toHaveAttribute("aria-invalid", "true");

  // Fixing the fields clears their errors.
  await pattern.fill("^(?!.*Test).*$");
  await pattern.press("Tab");
  await expect(pattern).toHaveAttribute("aria-invalid", "false");
  await expect(patternError).toHaveText("");
  await name.fill("Fixed");
  await name.press("Tab");
  await expect(name).toHaveAttribute("aria-invalid", "false");
  // The website prompt is empty too, but was never visited: no error yet.
  await expect(summary).toBeHidden();

  // Submitting shows every remaining problem (the empty website prompt) without asking the server.
  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(untouched).toHaveAttribute("aria-invalid", "true");
  await expect(summary).toBeVisible();
  await expect(summary.getByRole("link", { name: /Custom filter 2 › prompt/ })).toBeVisible();
  // Focus moves to the summary, so a screen reader reads it and Tab goes on to its links.
  await expect.soft(summary).toBeFocused();
  expect(serverCalls).toEqual([]);
  await expect(page).toHaveURL(/\/icps\/new$/);
  await noReload();
});

test("errors the server finds after a tampered submit are shown at their fields, and typed values are kept", async ({
  page,
}) => {
  const name = `Tampered ${uniqueTag()}`;
  await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
  await addTags(row(page, "Lead source 1").getByLabel("Job titles"), ["CTO"]);
  const limit = await addFilter(page, "Max people per company");
  const key = await rowKey(limit);
  const value = limit.getByLabel("At most this many people per company");
  await value.fill("2");

  // The browser checks the body and finds it valid; on the way, the value becomes 0 and the name empty.
  let tampered = 0;
  await page.route("**/fn/**", async (route) => {
    const request = route.request();
    if (!request.url().includes("save_icp") || request.method() !== "POST") return route.continue();
    const call = JSON.parse(request.postData() ?? "{}");
    const body = JSON.parse(call.body);
    expect(body.customFilterCriteria).toEqual([{ type: "maxPeoplePerCompany", value: 2 }]);
    body.customFilterCriteria[0].value = 0;
    body.name = "";
    call.body = JSON.stringify(body);
    tampered += 1;
    await route.continue({ postData: JSON.stringify(call) });
  });

  const answer = page.waitForResponse((r) => r.url().includes("save_icp"));
  await page.getByRole("button", { name: "Create ICP" }).first().click();
  const status = (await answer).status();
  expect(status).not.toBe(200);
  // Invalid input is the client's problem: a 4xx (the no-JS form answers 422), not a server error.
  expect.soft(status, "status of the server function's answer to an invalid body").toBeLessThan(500);
  expect(tampered).toBe(1);

  const summary = page.locator(".error-summary");
  await expect(summary).toBeVisible();
  await expect(summary.getByRole("heading")).toHaveText("2 problems to fix");
  await expect.soft(summary, "focus moves to the error summary").toBeFocused();
  const nameInput = page.getByRole("textbox", { name: "Name", exact: true });
  await expect(nameInput).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("[id='name-error']")).toHaveText("Must not be empty");
  await expect(value).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator(`[id='filter.${key}.value-error']`)).toHaveText("Must be at least 1");
  expect(await describedErrors(value)).toBe("Must be at least 1");
  await expect(summary.getByRole("link", { name: "Name: Must not be empty" })).toHaveAttribute("href", "#name");
  await expect(summary.getByRole("link", { name: "Custom filter 1 › value: Must be at least 1" })).toHaveAttribute(
    "href",
    `#filter.${key}.value`,
  );

  // Still on the builder, with what the user typed.
  await expect(page).toHaveURL(/\/icps\/new$/);
  await expect(nameInput).toHaveValue(name);
  await expect(value).toHaveValue("2");
  await expect(row(page, "Lead source 1").getByRole("button", { name: "Remove CTO" })).toBeVisible();

  // Nothing was saved; a clean retry saves.
  await page.unroute("**/fn/**");
  const list = await page.request.get("/api/v1/entities/icps");
  expect(JSON.stringify(await list.json())).not.toContain(name);
  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
});

test("a link in the error summary takes the user to its field, focused", async ({ page }) => {
  const name = page.getByRole("textbox", { name: "Name", exact: true });
  await name.fill("x");
  await name.fill("");
  await name.press("Tab");
  const regexRow = await addFilter(page, "Field condition");
  const key = await rowKey(regexRow);
  await regexRow.getByRole("combobox", { name: "Condition", exact: true }).selectOption({ label: "matches pattern" });
  const pattern = regexRow.getByRole("textbox", { name: "Value", exact: true });
  await pattern.fill("(");
  await pattern.press("Tab");
  const summary = page.locator(".error-summary");
  await expect(summary.getByRole("heading")).toHaveText("2 problems to fix");

  await summary.getByRole("link", { name: /^Custom filter 1 › regex:/ }).click();
  await expect(page).toHaveURL(new RegExp(`#filter\\.${key}\\.regex$`));
  await expect(pattern).toBeInViewport();
  await expect(pattern).toBeFocused();
  await summary.getByRole("link", { name: "Name: Must not be empty" }).click();
  await expect(name).toBeFocused();
});

test("a save is sent once: the form stays saving until the saved ICP's page has loaded", async ({ page }) => {
  const name = `Saved once ${uniqueTag()}`;
  await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
  await addTags(row(page, "Lead source 1").getByLabel("Job titles"), ["CTO"]);

  let saves = 0;
  page.on("request", (request) => {
    if (request.url().includes("/fn/save_icp")) saves += 1;
  });
  // The saved ICP's page is held back, so the builder stays on screen, working, after its save.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/icps\/[0-9a-f-]{36}$/, async (route) => {
    await held;
    await route.continue();
  });
  // When the builder leaves for that page, the page notes its Save buttons and submits the form
  // again (as a second Enter would); the notes outlive the page in sessionStorage.
  await page.evaluate(() => {
    const buttons = () =>
      [...document.querySelectorAll<HTMLButtonElement>(".builder-form button.button-primary[type=submit]")]
        .map((button) => `${button.textContent} ${button.disabled ? "disabled" : "enabled"}`)
        .join(", ");
    window.addEventListener("beforeunload", () => {
      document.querySelector<HTMLFormElement>(".builder-form")!.requestSubmit();
      sessionStorage.setItem("leaving", buttons());
    });
  });

  await page.getByRole("button", { name: "Create ICP" }).first().click();
  await expect.poll(() => saves).toBe(1);
  release();
  await expect(page).toHaveURL(/\/icps\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
  expect(await page.evaluate(() => sessionStorage.getItem("leaving"))).toBe("Saving… disabled, Saving… disabled");
  expect(saves).toBe(1);
  const list = await page.request.get(`/api/v1/entities/icps?q=${encodeURIComponent(name)}`);
  expect(JSON.stringify(await list.json()).split(name).length - 1).toBe(1);

  // Back to the builder: a working form again, not one still "Saving…".
  await page.goBack();
  await expect(page).toHaveURL(/\/icps\/new$/);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Create ICP" }).first()).toBeEnabled();
  // Whatever the browser put back into the fields, the preview shows the same.
  const restored = await page.getByRole("textbox", { name: "Name", exact: true }).inputValue();
  await expect.poll(async () => (await previewBody(page)).name).toBe(restored);
});

test("Back to a builder left unsaved shows what was typed, in its fields and in its preview", async ({ page }) => {
  const name = `Left unsaved ${uniqueTag()}`;
  const field = page.getByRole("textbox", { name: "Name", exact: true });
  await field.fill(name);
  await field.blur();
  await expect.poll(async () => (await previewBody(page)).name).toBe(name);

  await page.getByRole("link", { name: "ICP Builder", exact: true }).click();
  await expect(page).toHaveURL(/\/icps$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/icps\/new$/);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(field).toHaveValue(name);
  expect((await previewBody(page)).name).toBe(name);
});

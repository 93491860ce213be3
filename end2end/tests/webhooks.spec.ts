// Webhooks from the settings page: a loopback URL is refused with the API's words at its field
// (the server under test does not allow private addresses), an endpoint on a public address is
// added with its secret shown once, then disabled, enabled and deleted (after a confirmation).
// The page passes axe empty, with the refusal, with the new secret and with the confirmation open.
//
// Nothing is ever sent to the endpoint: it is never sent a test event, and the new user has no ICPs
// whose events it could receive.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUp, visit, waitForHydration } from "../support/app";
import type { Page } from "@playwright/test";

async function expectAccessible(page: Page, what: string) {
  await waitForHydration(page);
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect.soft(bad.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `axe on ${what}`).toEqual([]);
}

test("a loopback URL is refused at its field; an endpoint is added, its secret shown once, then disabled, enabled and deleted", async ({
  page,
}) => {
  await signUp(page, { name: "Wendy Webhook" });
  await visit(page, "/settings");
  await page.getByRole("region", { name: "Webhooks" }).getByRole("link", { name: "Your webhooks" }).click();
  await expect(page).toHaveURL(/\/settings\/webhooks$/);
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  await expect(page.getByText("You have no webhook endpoints yet.")).toBeVisible();
  await expectAccessible(page, "the empty webhooks page");

  const form = page.getByRole("region", { name: "Add an endpoint" });
  const url = form.getByLabel("URL", { exact: true });
  await expect(form.getByLabel("All events")).toBeChecked();

  // A loopback address: refused, with the API's words at the field and what was typed kept.
  await url.fill("https://127.0.0.1/hook");
  await form.getByLabel("Description (optional)").fill("Loopback");
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page).toHaveURL(/\/settings\/webhooks$/);
  await expect(page.locator("[id='url-error']")).toHaveText(
    "The host 127.0.0.1 resolves to 127.0.0.1, which is not a public internet address",
  );
  await expect(url).toHaveAttribute("aria-invalid", "true");
  await expect(url).toHaveAttribute("aria-describedby", /url-error/);
  await expect(url).toHaveValue("https://127.0.0.1/hook");
  await expect(form.getByLabel("Description (optional)")).toHaveValue("Loopback");
  await expect(page.getByText("You have no webhook endpoints yet.")).toBeVisible();
  await expectAccessible(page, "the webhooks page with a refused URL");
  // Said once: a reload shows the form as new.
  await page.reload();
  await expect(page.locator("[id='url-error']")).toHaveCount(0);

  // A public address (an IP literal, so no DNS is needed), for one event type.
  const address = "https://1.1.1.1/icp-builder-e2e";
  await url.fill(address);
  await form.getByLabel("All events").uncheck();
  await form.getByLabel("icp.deleted").check();
  await form.getByLabel("Description (optional)").fill("E2E receiver");
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page).toHaveURL(/\/settings\/webhooks$/);
  const shown = page.getByRole("status").filter({ hasText: "Copy it now" });
  await expect(shown).toContainText(`The signing secret of ${address}`);
  const secret = (await page.locator("code.token").innerText()).trim();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
  const endpoint = page.getByRole("region", { name: address, exact: true });
  await expect(endpoint).toContainText("icp.deleted");
  await expect(endpoint).toContainText("E2E receiver");
  await expect(endpoint).toContainText("Enabled");
  await expect(endpoint).toContainText("No deliveries yet.");
  await expect(endpoint.getByRole("button", { name: `Send test event to ${address}` })).toBeVisible();
  await expectAccessible(page, "the webhooks page with a new secret");

  // Shown once: a reload does not show it again.
  await page.reload();
  await expect(endpoint).toBeVisible();
  await expect(page.locator("code.token")).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);

  await endpoint.getByRole("button", { name: `Disable ${address}` }).click();
  await expect(page).toHaveURL(/\/settings\/webhooks\?notice=disabled$/);
  await expect(page.getByRole("status").filter({ hasText: "The endpoint was disabled" })).toBeVisible();
  await expect(endpoint).toContainText("Disabled by its owner");
  await endpoint.getByRole("button", { name: `Enable ${address}` }).click();
  await expect(page).toHaveURL(/\/settings\/webhooks\?notice=enabled$/);
  await expect(endpoint).toContainText("Enabled");
  await expect(endpoint.getByRole("button", { name: `Disable ${address}` })).toBeVisible();

  // Deleting asks first: one click only says what it does.
  await endpoint.locator("summary", { hasText: "Delete…" }).click();
  const confirm = endpoint.getByRole("button", { name: `Yes, delete ${address}` });
  await expect(confirm).toBeVisible();
  await expect(endpoint).toContainText("This cannot be undone.");
  await expectAccessible(page, "the webhooks page with the delete confirmation open");
  await confirm.click();
  await expect(page).toHaveURL(/\/settings\/webhooks\?notice=deleted$/);
  await expect(page.getByRole("status").filter({ hasText: "The endpoint was deleted." })).toBeVisible();
  await expect(page.getByText("You have no webhook endpoints yet.")).toBeVisible();
});

// API tokens from the settings page: shown once, usable as a Bearer token, and revocable.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUp, signIn, visit, createIcpViaApi, minimalBody, uniqueTag } from "../support/app";
import type { Page } from "@playwright/test";

async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect.soft(bad.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `axe on ${what}`).toEqual([]);
}

test("a new API token is shown once, works with the API, and stops working when revoked", async ({
  page,
  playwright,
  baseURL,
}) => {
  const account = await signUp(page, { name: "Tess Token", form: true });
  const icp = await createIcpViaApi(page, minimalBody(`Via token ${uniqueTag()}`), baseURL!);

  await visit(page, "/settings");
  await expect(page.getByRole("region", { name: "Your account" })).toContainText(account.email);
  await expect(page.getByText("You have no API tokens yet.")).toBeVisible();
  const userId = (await page.locator("dd code").first().innerText()).trim();
  expect(userId).toMatch(/^user_[A-Za-z0-9]+$/);

  // An empty label is refused with the reason at the field.
  await page.getByLabel("Label").fill("   ");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.locator("[id='label-error']")).toHaveText("Enter a label of up to 100 characters.");
  await expect(page.getByLabel("Label")).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("Label").fill("CRM sync");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  const shown = page.getByRole("status").filter({ hasText: "Copy it now" });
  await expect(shown).toContainText("Your new token “CRM sync”");
  const token = (await page.locator("code.token").innerText()).trim();
  expect(token).toMatch(/^icp_/);
  await expect(page.getByRole("cell", { name: "CRM sync", exact: true })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "CRM sync" })).toContainText("Active");

  // Shown once: a reload does not show it again.
  await page.reload();
  await expect(page.getByRole("cell", { name: "CRM sync", exact: true })).toBeVisible();
  await expect(page.locator("code.token")).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);

  // A client without the cookie uses the token.
  const client = await playwright.request.newContext({ baseURL });
  try {
    const withToken = await client.get(`/api/v1/entities/icps/${icp.id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(withToken.status()).toBe(200);
    expect((await withToken.json()).userIds).toContain(userId);
    expect((await client.get(`/api/v1/entities/icps/${icp.id}`)).status()).toBe(401);

    // Revoke it: one click only says what revoking does; nothing is revoked until confirmed.
    const row = page.getByRole("row").filter({ hasText: "CRM sync" });
    await row.locator("summary", { hasText: "Revoke…" }).click();
    const confirm = row.getByRole("button", { name: "Yes, revoke CRM sync" });
    await expect(confirm).toBeVisible();
    await expect(row).toContainText("Every integration using it is refused from now on");
    await expect(row).toContainText("Active");
    await expectAccessible(page, "settings with the revoke confirmation open");
    await confirm.click();
    await expect(page).toHaveURL(/\/settings\?notice=revoked$/);
    await expect(page.getByRole("status").filter({ hasText: "The token was revoked." })).toBeVisible();
    await expect(page.getByRole("row").filter({ hasText: "CRM sync" })).toContainText("Revoked");
    await expect(page.getByRole("button", { name: "Yes, revoke CRM sync" })).toHaveCount(0);
    const revoked = await client.get(`/api/v1/entities/icps/${icp.id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(revoked.status()).toBe(401);
  } finally {
    await client.dispose();
  }
});

test("changing the password asks for the current one and signs out everywhere else", async ({ page, browser }) => {
  const account = await signUp(page);
  // The same person, signed in on another device.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, account);
  await expect(otherPage).toHaveURL(/\/icps$/);

  await visit(page, "/settings");
  const panel = page.getByRole("region", { name: "Password" });
  await panel.getByLabel("Current password").fill("not my password");
  await panel.getByLabel("New password").fill("a brand new passphrase");
  await panel.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("[id='current-password-error']")).toHaveText("Your current password is wrong.");
  await expect(panel.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");
  await expectAccessible(page, "settings with a password error");

  await panel.getByLabel("Current password").fill(account.password);
  await panel.getByLabel("New password").fill("a brand new passphrase");
  await panel.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password was changed.");

  // The other device is signed out; the new password signs in.
  await otherPage.goto("/icps");
  await expect(otherPage).toHaveURL(/\/sign-in\?next=%2Ficps$/);
  await signIn(otherPage, { ...account, password: "a brand new passphrase" });
  await expect(otherPage).toHaveURL(/\/icps$/);
  await other.close();
});

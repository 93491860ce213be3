// A workspace in two browsers: the owner invites a teammate by email, the teammate opens the link
// signed out, signs in and joins; both see each other on the team page, and the teammate can then
// be shared an ICP through the API. The team and invitation pages pass axe.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUp, visit, uniqueEmail, createIcpViaApi, minimalBody, uniqueTag } from "../support/app";
import type { Page } from "@playwright/test";

async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect.soft(bad.map((v) => `${v.id}: ${v.help}`), `axe on ${what}`).toEqual([]);
}

test("the owner invites a teammate, who joins through the link", async ({ page, browser, baseURL }) => {
  const owner = await signUp(page, { name: "Olga Owner" });
  await visit(page, "/settings/team");
  await expect(page.getByRole("heading", { level: 1, name: "Team" })).toBeVisible();
  const members = page.getByRole("table", { name: "Members of the workspace" });
  await expect(members.getByRole("row").filter({ hasText: owner.email })).toContainText("Owner");
  await expectAccessible(page, "the team page");

  // Someone already in the workspace cannot be invited; an invitation's link is shown once.
  await page.getByLabel("Invite by email").fill(owner.email);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page.locator("[id='email-error']")).toHaveText("That person is already a member of your workspace.");
  const teammateEmail = uniqueEmail("tim");
  await page.getByLabel("Invite by email").fill(teammateEmail);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page).toHaveURL(/\/settings\/team\?notice=invited$/);
  const link = (await page.locator("code.token").innerText()).trim();
  expect(link).toMatch(/\/invite\/inv_[A-Za-z0-9]+$/);
  await expect(page.getByRole("table", { name: "Open invitations" })).toContainText(teammateEmail);
  await expectAccessible(page, "the team page with a new link");
  await page.reload();
  await expect(page.locator("code.token")).toHaveCount(0);

  const other = await browser.newContext();
  const tim = await other.newPage();
  try {
    // The teammate has an account (made by the CLI) and is signed out.
    const account = await signUp(tim, { name: "Tim Teammate", email: teammateEmail });
    await tim.getByRole("button", { name: "Sign out" }).click();
    await visit(tim, new URL(link).pathname);
    await expect(tim.getByRole("heading", { level: 1 })).toHaveText(/^Join /);
    await expect(tim.getByText(`Olga Owner invited ${teammateEmail}`)).toBeVisible();
    await expectAccessible(tim, "the invitation page, signed out");
    await tim.getByRole("link", { name: "Sign in" }).last().click();
    await tim.getByLabel("Email").fill(account.email);
    await tim.getByLabel("Password").fill(account.password);
    await tim.getByRole("button", { name: "Sign in" }).click();
    await expect(tim).toHaveURL(new RegExp(`${new URL(link).pathname}$`));
    await tim.getByRole("button", { name: /^Join / }).click();
    await expect(tim).toHaveURL(/\/settings\/team\?notice=joined$/);
    await expect(tim.getByRole("table", { name: "Members of the workspace" })).toContainText(owner.email);

    // The owner sees the new member; the invitation is no longer open.
    await visit(page, "/settings/team");
    await expect(members.getByRole("row").filter({ hasText: teammateEmail })).toContainText("Member");
    await expect(page.getByText("No open invitations.")).toBeVisible();

    // Now the owner can share an ICP with the teammate by id (from the users endpoint).
    const users = await (await page.request.get("/api/v1/entities/users")).json();
    const timId = users.find((user: { email: string }) => user.email === teammateEmail).id;
    const icp = await createIcpViaApi(page, { ...minimalBody(`Shared ${uniqueTag()}`), userIds: [timId] }, baseURL!);
    await visit(tim, `/icps/${icp.id}`);
    await expect(tim.getByRole("heading", { level: 1 })).toContainText(icp.name);
  } finally {
    await other.close();
  }
});

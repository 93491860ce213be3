// Roles in two browsers: the owner invites a colleague as a viewer, who joins through the link by
// signing up, reads the ICP shared with them and is offered no change (no New ICP, no Edit or
// Delete, a 403 page instead of the builder); the owner makes them a member on the team page and
// they can create; the audit page lists the invitation, the join and the role change. The team
// and audit pages pass axe.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUp, visit, uniqueEmail, uniqueTag, createIcpViaApi, minimalBody } from "../support/app";
import type { Page } from "@playwright/test";

async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect.soft(bad.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `axe on ${what}`).toEqual([]);
}

test("a viewer reads and changes nothing until the owner makes them a member; the audit page says so", async ({
  page,
  browser,
  baseURL,
}) => {
  await signUp(page, { name: "Olga Owner" });
  await visit(page, "/settings/team");
  await expectAccessible(page, "the team page");

  // The invitation carries the role to give.
  const vickyEmail = uniqueEmail("vicky");
  await page.getByLabel("Invite by email").fill(vickyEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page).toHaveURL(/\/settings\/team\?notice=invited/);
  // Shown on the page whether or not it was also mailed.
  const link = (await page.locator("code.token").first().innerText()).trim();
  expect(link).toMatch(/\/invite\/inv_[A-Za-z0-9]+$/);
  const invitations = page.getByRole("table", { name: "Open invitations" });
  await expect(invitations.getByRole("row").filter({ hasText: vickyEmail })).toContainText("Viewer");

  const other = await browser.newContext();
  const vicky = await other.newPage();
  try {
    await visit(vicky, new URL(link).pathname);
    await vicky.getByRole("link", { name: "Create an account" }).click();
    await expect(vicky.getByLabel("Email")).toHaveValue(vickyEmail);
    await vicky.getByLabel("Name").fill("Vicky Viewer");
    await vicky.getByLabel("Password").fill("correct horse battery staple");
    await vicky.getByRole("button", { name: "Create account" }).click();
    await expect(vicky).toHaveURL(/\/icps\?view=shared&notice=joined$/);

    // The owner shares an ICP with her.
    const users = await page.request.get("/api/v1/entities/users");
    expect(users.status()).toBe(200);
    const vickyId = ((await users.json()) as { id: string; email: string }[]).find((user) => user.email === vickyEmail)?.id;
    expect(vickyId).toMatch(/^user_/);
    const icp = await createIcpViaApi(page, { ...minimalBody(`For viewers ${uniqueTag()}`), userIds: [vickyId] }, baseURL!);

    // She reads it and is offered no change.
    await visit(vicky, "/icps");
    await expect(vicky.getByRole("rowheader", { name: icp.name })).toBeVisible();
    await expect(vicky.getByRole("link", { name: "New ICP" })).toHaveCount(0);
    await expect(vicky.getByRole("link", { name: "Import" })).toHaveCount(0);
    await visit(vicky, `/icps/${icp.id}`);
    await expect(vicky.getByRole("heading", { level: 1 })).toContainText(icp.name);
    await expect(vicky.getByRole("link", { name: "Edit", exact: true })).toHaveCount(0);
    await expect(vicky.getByRole("link", { name: "Duplicate" })).toHaveCount(0);
    await expect(vicky.getByText("Delete…")).toHaveCount(0);
    const refused = await vicky.goto(`/icps/${icp.id}/edit`);
    expect(refused?.status()).toBe(403);
    await expect(vicky.getByRole("heading", { name: "Viewers cannot change ICPs" })).toBeVisible();
    await expect(vicky.getByRole("button", { name: "Save changes" })).toHaveCount(0);

    // The owner makes her a member.
    await visit(page, "/settings/team");
    const members = page.getByRole("table", { name: "Members of the workspace" });
    const vickyRow = members.getByRole("row").filter({ hasText: vickyEmail });
    await expect(vickyRow).toContainText("Viewer");
    await vickyRow.getByLabel("Role of Vicky Viewer").selectOption("member");
    await vickyRow.getByRole("button", { name: /^Set/ }).click();
    await expect(page).toHaveURL(/\/settings\/team\?notice=role/);
    await expect(page.getByText("The member's role was changed.")).toBeVisible();
    await expect(members.getByRole("row").filter({ hasText: vickyEmail }).getByLabel("Role of Vicky Viewer")).toHaveValue("member");

    // Now she may create.
    await visit(vicky, "/icps");
    await vicky.getByRole("main").getByRole("link", { name: "New ICP" }).click();
    await expect(vicky).toHaveURL(/\/icps\/new$/);
    await expect(vicky.getByRole("button", { name: "Create ICP" }).first()).toBeVisible();
    await visit(vicky, `/icps/${icp.id}`);
    await expect(vicky.getByRole("link", { name: "Edit", exact: true })).toBeVisible();
    const hers = await createIcpViaApi(vicky, minimalBody(`Vicky's own ${uniqueTag()}`), baseURL!);
    await visit(vicky, `/icps/${hers.id}`);
    await expect(vicky.locator("dl.facts")).toContainText("Vicky Viewer");

    // The audit page lists the invitation, the join and the role change, newest first.
    await visit(page, "/settings/team");
    await page.getByRole("link", { name: "Audit log" }).click();
    await expect(page).toHaveURL(/\/settings\/audit$/);
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    const records = page.getByRole("table", { name: "Audit records, newest first" });
    const rows = records.locator("tbody tr");
    await expect(rows.nth(0)).toContainText("Changed a role");
    await expect(rows.nth(0)).toContainText(vickyEmail);
    await expect(rows.nth(0)).toContainText("role: viewer → role: member");
    await expect(rows.filter({ hasText: "Joined" }).filter({ hasText: vickyEmail })).toHaveCount(1);
    await expect(rows.filter({ hasText: "Invited" }).filter({ hasText: vickyEmail })).toContainText("role: viewer");
    await expectAccessible(page, "the audit page");

    // Narrowed to role changes by a plain GET form.
    await page.getByLabel("What", { exact: true }).selectOption("member.role_changed");
    await page.getByRole("button", { name: "Show" }).click();
    await expect(page).toHaveURL(/kind=member\.role_changed/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("Changed a role");

    // Vicky, a member, gets a 403 page.
    const forbidden = await vicky.goto("/settings/audit");
    expect(forbidden?.status()).toBe(403);
    await expect(vicky.getByRole("heading", { name: "Only the owner and admins see this" })).toBeVisible();
  } finally {
    await other.close();
  }
});

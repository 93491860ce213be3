// A team in two browsers: the owner invites a teammate, who joins through the link by signing up;
// the owner shares an ICP by picking the teammate by name with the keyboard only; the teammate edits
// it; the owner sees the change in words in its History and restores the earlier version. The team
// page, the invitation page, the picker (open) and the history pass axe.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUp, visit, uniqueEmail, createIcpViaApi, minimalBody, uniqueTag, waitForHydration } from "../support/app";
import type { Page } from "@playwright/test";

async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect.soft(bad.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `axe on ${what}`).toEqual([]);
}

test("invite, join by sign-up, share by name, edit, and restore from history", async ({ page, browser, baseURL }) => {
  const owner = await signUp(page, { name: "Olga Owner" });
  await visit(page, "/settings/team");
  await expect(page.getByRole("heading", { level: 1, name: "Team" })).toBeVisible();
  const members = page.getByRole("table", { name: "Members of the workspace" });
  await expect(members.getByRole("row").filter({ hasText: owner.email })).toContainText("Owner");
  await expectAccessible(page, "the team page");

  // Someone already in the workspace cannot be invited; a new invitation's link is shown once.
  await page.getByLabel("Invite by email").fill(owner.email);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page.locator("[id='email-error']")).toHaveText("That person is already a member of your workspace.");
  const timEmail = uniqueEmail("tim");
  await page.getByLabel("Invite by email").fill(timEmail);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page).toHaveURL(/\/settings\/team\?notice=invited-mailed$/);
  const link = (await page.locator("code.token").innerText()).trim();
  expect(link).toMatch(/\/invite\/inv_[A-Za-z0-9]+$/);
  const invitePath = new URL(link).pathname;
  await expect(page.getByRole("table", { name: "Open invitations" })).toContainText(timEmail);
  await expectAccessible(page, "the team page with a new link");
  await page.reload();
  await expect(page.locator("code.token")).toHaveCount(0);

  const other = await browser.newContext();
  const tim = await other.newPage();
  try {
    // Signed out, the link says whose workspace it is and leads through sign-up and back.
    await visit(tim, invitePath);
    await expect(tim.getByRole("heading", { level: 1 })).toHaveText(/^Join /);
    await expect(tim.getByText(`Olga Owner invited ${timEmail}`)).toBeVisible();
    await expectAccessible(tim, "the invitation page, signed out");
    await tim.getByRole("link", { name: "Create an account" }).click();
    await expect(tim.getByLabel("Email")).toHaveValue(timEmail);
    await tim.getByLabel("Name").fill("Tim Teammate");
    await tim.getByLabel("Password").fill("correct horse battery staple");
    await tim.getByRole("button", { name: "Create account" }).click();
    // Joined in that one step, landing on what the team shares with him.
    await expect(tim).toHaveURL(/\/icps\?view=shared&notice=joined$/);
    await expect(tim.getByRole("status").filter({ hasText: "Welcome to the team" })).toBeVisible();
    await visit(tim, "/settings/team");
    await expect(tim.getByRole("table", { name: "Members of the workspace" })).toContainText(owner.email);

    await visit(page, "/settings/team");
    await expect(members.getByRole("row").filter({ hasText: timEmail })).toContainText("Member");
    await expect(page.getByText("No open invitations.")).toBeVisible();
    // Removing a member and leaving the workspace each say what happens before anything does.
    const timRow = members.getByRole("row").filter({ hasText: timEmail });
    await timRow.locator("summary", { hasText: "Remove…" }).click();
    await expect(timRow.getByRole("button", { name: "Yes, remove Tim Teammate" })).toBeVisible();
    await expect(timRow).toContainText("They leave the ICPs they share with the team");
    await page.locator("summary", { hasText: "Leave the workspace…" }).click();
    await expect(page.getByRole("button", { name: "Yes, leave the workspace" })).toBeVisible();
    await expect(page.getByText("Leaving hands the workspace to its longest-standing member.")).toBeVisible();
    await expectAccessible(page, "the team page with the remove and leave confirmations open");
    await page.reload();
    await expect(members.getByRole("row").filter({ hasText: timEmail })).toContainText("Member");

    // The owner shares an ICP by picking Tim by name, keyboard only.
    const icp = await createIcpViaApi(page, minimalBody(`Shared ${uniqueTag()}`), baseURL!);
    await visit(page, `/icps/${icp.id}/edit`);
    const picker = page.getByRole("combobox", { name: "Share with teammates" });
    await picker.focus();
    await page.keyboard.type("tim");
    await expect(picker).toHaveAttribute("aria-expanded", "true");
    const option = page.getByRole("option", { name: new RegExp(`Tim Teammate · ${timEmail}`) });
    await expect(option).toHaveAttribute("aria-selected", "true");
    await expectAccessible(page, "the builder with the teammate picker open");
    await page.keyboard.press("Enter");
    await expect(page.getByRole("button", { name: "Remove Tim Teammate" })).toBeVisible();
    await expect(picker).toHaveValue("");
    await page.getByRole("button", { name: "Save changes" }).first().click();
    await expect(page).toHaveURL(new RegExp(`/icps/${icp.id}$`));
    await expect(page.locator("dl.facts")).toContainText("Tim Teammate");

    // Tim edits it; he may not delete it.
    await visit(tim, `/icps/${icp.id}`);
    await expect(tim.getByText("Delete…")).toHaveCount(0);
    await visit(tim, `/icps/${icp.id}/edit`);
    await tim.getByLabel("Leads per list").fill("55");
    await tim.getByRole("button", { name: "Save changes" }).first().click();
    await expect(tim).toHaveURL(new RegExp(`/icps/${icp.id}$`));

    // The owner sees Tim's change in words and restores the version before it.
    await visit(page, `/icps/${icp.id}/history`);
    const versions = page.getByRole("list", { name: "Versions, newest first" });
    const newest = versions.getByRole("listitem").filter({ hasText: "Edited by Tim Teammate" });
    await expect(newest).toContainText("Leads per list: 10 → 55");
    await expectAccessible(page, "the history page");
    const before = versions.getByRole("listitem").filter({ hasText: "Edited by Olga Owner" });
    await expect(before).toContainText("Shared with Tim Teammate");
    await before.getByRole("button", { name: /^Restore version/ }).click();
    await expect(page).toHaveURL(new RegExp(`/icps/${icp.id}/history\\?notice=restored$`));
    await expect(versions.getByRole("listitem").first()).toContainText("Restored by Olga Owner");
    await expect(versions.getByRole("listitem").first()).toContainText("Leads per list: 55 → 10");

    // The list says who owns what; the owner deletes the ICP and restores it from Recently deleted.
    await visit(tim, "/icps");
    const row = tim.getByRole("row").filter({ has: tim.getByRole("rowheader", { name: icp.name }) });
    await expect(row.getByRole("cell").nth(1)).toHaveText("Olga Owner");
    // Shared with him by someone else: under "Shared with me", not under "Mine".
    await tim.getByRole("navigation", { name: "Whose" }).getByRole("link", { name: "Mine" }).click();
    await expect(tim.getByRole("rowheader", { name: icp.name })).toHaveCount(0);
    await tim.getByRole("navigation", { name: "Whose" }).getByRole("link", { name: "Shared with me" }).click();
    await expect(tim).toHaveURL(/view=shared/);
    await expect(tim.getByRole("rowheader", { name: icp.name })).toHaveCount(1);
    // The owner picker lists the workspace by name and keeps its choice in the URL.
    const ownerPicker = tim.getByRole("combobox", { name: "Owner" });
    await ownerPicker.selectOption({ label: "Olga Owner" });
    await tim.getByRole("button", { name: "Show" }).click();
    await expect(tim).toHaveURL(/[?&]owner=user_[A-Za-z0-9]+/);
    await expect(tim.getByRole("rowheader", { name: icp.name })).toHaveCount(1);
    await expect(ownerPicker).toHaveValue(/^user_/);
    await ownerPicker.selectOption({ label: "Tim Teammate (you)" });
    await tim.getByRole("button", { name: "Show" }).click();
    await expect(tim.getByRole("rowheader", { name: icp.name })).toHaveCount(0);
    await visit(page, `/icps/${icp.id}`);
    await page.getByText("Delete…").click();
    await page.getByRole("button", { name: "Yes, delete this ICP" }).click();
    await expect(page).toHaveURL(/\/icps$/);
    await page.getByRole("link", { name: "Recently deleted" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Recently deleted" })).toBeVisible();
    await expectAccessible(page, "recently deleted");
    await page.getByRole("button", { name: `Restore ${icp.name}` }).click();
    await expect(page).toHaveURL(new RegExp(`/icps/${icp.id}\\?notice=restored$`));
    await expect(page.getByRole("status").filter({ hasText: "The ICP was restored." })).toBeVisible();
  } finally {
    await other.close();
  }
});

test("one form invites several people, and each link has a Copy button", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signUp(page, { name: "Olga Owner" });
  await visit(page, "/settings/team");
  const [ana, ben] = [uniqueEmail("ana"), uniqueEmail("ben")];
  await page.getByLabel("Invite by email").fill(`${ana}, ${ben}`);
  await page.getByRole("button", { name: "Create invitation links" }).click();
  await expect(page).toHaveURL(/\/settings\/team\?notice=invited-mailed$/);
  await waitForHydration(page);
  const links = page.locator("ul.new-links > li");
  await expect(links).toHaveCount(2);
  await expect(links.nth(0)).toContainText(ana);
  await expect(links.nth(1)).toContainText(ben);

  const copy = page.getByRole("button", { name: `Copy the link for ${ben}` });
  await copy.click();
  await expect(links.nth(1).getByRole("status")).toHaveText("Copied");
  const link = (await links.nth(1).locator("code.token").innerText()).trim();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await expectAccessible(page, "the team page with two new links");

  const open = page.getByRole("table", { name: "Open invitations" });
  await expect(open).toContainText(ana);
  await expect(open).toContainText(ben);
});

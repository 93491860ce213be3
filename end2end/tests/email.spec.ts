// Mail, followed as people follow it (issue 29): the server mails through a real SMTP sink
// (playwright.config.ts) and these tests open the links the messages carry. An owner invites a
// colleague as a member, who joins by the mailed link; a forgotten password is reset by the
// mailed link; each link works once. The forgot-password and reset pages pass axe.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUp, signIn, visit, uniqueEmail } from "../support/app";
import { mailTo, mailsTo, linkIn } from "../support/mail";
import type { Page } from "@playwright/test";

async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect.soft(bad.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `axe on ${what}`).toEqual([]);
}

const CLOSED_LINK = "This link has expired or was already used. Ask for a new one below.";

test("an invitation is mailed with its role, and its link makes the colleague a member once", async ({ page, browser }) => {
  const owner = await signUp(page, { name: "Olga Owner" });
  await visit(page, "/settings/team");
  const cleoEmail = uniqueEmail("cleo");
  await page.getByLabel("Invite by email").fill(cleoEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("member");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page).toHaveURL(/\/settings\/team\?notice=invited-mailed$/);
  await expect(page.getByRole("status").filter({ hasText: "The invitation was created and mailed." })).toBeVisible();
  const shown = (await page.locator("code.token").innerText()).trim();
  await expect(page.getByRole("table", { name: "Open invitations" }).getByRole("row").filter({ hasText: cleoEmail })).toContainText("Member");

  // The message: from the owner, to that address only, with the same link the page shows.
  const mail = await mailTo(cleoEmail);
  expect(mail.to).toEqual([cleoEmail]);
  expect(mail.subject).toMatch(/^Olga Owner invites you to .+ on ICP Builder$/);
  expect(mail.body).toContain(`(${cleoEmail})`);
  const link = linkIn(mail, "/invite/");
  expect(link.pathname).toMatch(/^\/invite\/inv_[A-Za-z0-9]+$/);
  expect(link.href).toBe(shown);

  const other = await browser.newContext();
  const cleo = await other.newPage();
  try {
    // She opens the mailed link, signed out, and joins by signing up with the invited address.
    await visit(cleo, link.href);
    await expect(cleo.getByRole("heading", { level: 1 })).toHaveText(/^Join /);
    await cleo.getByRole("link", { name: "Create an account" }).click();
    await expect(cleo.getByLabel("Email")).toHaveValue(cleoEmail);
    await cleo.getByLabel("Name").fill("Cleo Colleague");
    await cleo.getByLabel("Password").fill("correct horse battery staple");
    await cleo.getByRole("button", { name: "Create account" }).click();
    await expect(cleo).toHaveURL(/\/icps\?view=shared&notice=joined$/);
    await expect(cleo.getByRole("status").filter({ hasText: "Welcome to the team" })).toBeVisible();

    // In the owner's workspace, as a member: she sees the team, the owner sees her role.
    await visit(cleo, "/settings/team");
    const herView = cleo.getByRole("table", { name: "Members of the workspace" });
    await expect(herView).toContainText(owner.email);
    await expect(herView.getByRole("row").filter({ hasText: cleoEmail }).locator("td[data-label='Role']")).toHaveText("Member");
    await visit(page, "/settings/team");
    await expect(page.getByLabel("Role of Cleo Colleague")).toHaveValue("member");
    await expect(page.getByText("No open invitations.")).toBeVisible();

    // The link a second time: refused, to her and to anyone else.
    await visit(cleo, link.pathname);
    await expect(cleo.getByRole("alert")).toContainText("This invitation has already been used.");
    await expect(cleo.getByRole("button", { name: /^Join / })).toHaveCount(0);
    const stranger = await browser.newPage();
    try {
      await visit(stranger, link.href);
      await expect(stranger.getByRole("alert")).toContainText("This invitation has already been used.");
      await expect(stranger.getByRole("link", { name: "Create an account" })).toHaveCount(0);
    } finally {
      await stranger.close();
    }
  } finally {
    await other.close();
  }
  expect(mailsTo(cleoEmail)).toHaveLength(1);
});

test("a forgotten password is reset by the mailed link, once", async ({ page }) => {
  const account = await signUp(page, { name: "Rita Reset" });
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await visit(page, "/sign-in");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole("heading", { level: 1, name: "Forgot your password?" })).toBeVisible();
  await expectAccessible(page, "the forgot-password page");

  await page.getByLabel("Email").fill(account.email);
  await page.getByRole("button", { name: "Mail me a reset link" }).click();
  await expect(page).toHaveURL(/\/forgot-password\?sent=1&email=/);
  await expect(page.getByRole("status")).toContainText("If an account has this address, a link to choose a new password is on its way.");
  await expectAccessible(page, "the forgot-password page, link sent");

  const mail = await mailTo(account.email);
  expect(mail.to).toEqual([account.email]);
  expect(mail.subject).toBe("Reset your ICP Builder password");
  const link = linkIn(mail, "/reset-password/");

  await visit(page, link.pathname);
  await expect(page.getByRole("heading", { level: 1, name: "Choose a new password" })).toBeVisible();
  await expectAccessible(page, "the reset page");

  const newPassword = "a brand new passphrase";
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByRole("button", { name: "Set the new password" }).click();
  // Signed in, on the settings page, which says so.
  await expect(page).toHaveURL(/\/settings\?notice=password-reset$/);
  await expect(page.getByRole("status").filter({ hasText: "Your new password is set." })).toBeVisible();
  await expect(page.getByRole("region", { name: "Your account" })).toContainText(account.email);

  // The old password no longer signs in; the new one does.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await signIn(page, account);
  await expect(page).toHaveURL(/\/sign-in\?.*error=credentials/);
  await expect(page.getByRole("alert")).toHaveText("The email or password is wrong.");
  await signIn(page, { ...account, password: newPassword });
  await expect(page).toHaveURL(/\/icps$/);

  // The link a second time: refused, and the password stays the new one.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await visit(page, link.pathname);
  await page.getByLabel("New password", { exact: true }).fill("yet another passphrase");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/forgot-password\?link=closed$/);
  await expect(page.getByRole("alert")).toHaveText(CLOSED_LINK);
  await expectAccessible(page, "the forgot-password page, link closed");
  await signIn(page, { ...account, password: newPassword });
  await expect(page).toHaveURL(/\/icps$/);
  expect(mailsTo(account.email)).toHaveLength(1);
});

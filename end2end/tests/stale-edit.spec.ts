// Two tabs edit the same ICP: the second save is told the ICP changed since it was opened, keeps
// everything typed, and overwrites nothing.
import { test, expect, signUp, visit, createIcpViaApi, minimalBody, uniqueTag } from "../support/app";

test("the second of two tabs is told the ICP changed and loses nothing typed", async ({ page, context, baseURL }) => {
  await signUp(page);
  const icp = await createIcpViaApi(page, minimalBody(`Two tabs ${uniqueTag()}`), baseURL!);
  const second = await context.newPage();
  await visit(page, `/icps/${icp.id}/edit`);
  await visit(second, `/icps/${icp.id}/edit`);

  await page.getByLabel("Leads per list").fill("40");
  await page.getByRole("button", { name: "Save changes" }).first().click();
  await expect(page).toHaveURL(new RegExp(`/icps/${icp.id}$`));

  const name = second.getByRole("textbox", { name: "Name", exact: true });
  await name.fill("Typed in the second tab");
  await second.getByRole("button", { name: "Save changes" }).first().click();
  await expect(second.getByRole("alert").filter({ hasText: "This ICP changed since you opened it." })).toBeVisible();
  await expect(second).toHaveURL(new RegExp(`/icps/${icp.id}/edit$`));
  await expect(name).toHaveValue("Typed in the second tab");

  const stored = await (await page.request.get(`/api/v1/entities/icps/${icp.id}`)).json();
  expect(stored.leadsPerList).toBe(40);
  expect(stored.name).toBe(icp.name);
});

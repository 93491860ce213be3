// Export an ICP from its page, import the file on /icps/import: the same ICP comes back, and a file
// with a refused ICP imports nothing and says why.
import { readFile } from "node:fs/promises";
import { test, expect, signUp, visit, createIcpViaApi, minimalBody, uniqueTag } from "../support/app";

test("an exported ICP imports back as the same ICP", async ({ page, baseURL }) => {
  await signUp(page);
  const icp = await createIcpViaApi(
    page,
    { ...minimalBody(`Round trip ${uniqueTag()}`), description: "Exported and back", leadsPerList: 42 },
    baseURL!,
  );
  await visit(page, `/icps/${icp.id}`);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export", exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^round-trip-.*\.json$/);
  const exported = JSON.parse(await readFile(await download.path(), "utf8"));
  expect(exported.name).toBe(icp.name);
  expect(exported.id).toBeUndefined();

  await visit(page, "/icps");
  await page.getByRole("link", { name: "Import" }).click();
  await expect(page).toHaveURL(/\/icps\/import$/);
  await page.getByLabel(/ICP file/).setInputFiles(await download.path());
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page).toHaveURL(/\/icps\?imported=1$/);
  await expect(page.getByText("Imported 1 ICP.")).toBeVisible();
  await expect(page.getByRole("rowheader", { name: icp.name })).toHaveCount(2);

  const list = await (await page.request.get("/api/v1/entities/icps")).json();
  const copy = list.find((other: { id: string; name: string }) => other.name === icp.name && other.id !== icp.id);
  for (const key of ["description", "leadsPerList", "leadProviderCriteria", "customFilterCriteria", "userIds"]) {
    expect(copy[key], key).toEqual((icp as Record<string, unknown>)[key]);
  }
});

test("a file with a refused ICP imports nothing and says why", async ({ page }) => {
  await signUp(page);
  await visit(page, "/icps/import");
  const file = JSON.stringify([minimalBody("Fine one"), { ...minimalBody("Too many leads"), leadsPerList: 5000 }]);
  await page.getByLabel(/ICP file/).setInputFiles({ name: "icps.json", mimeType: "application/json", buffer: Buffer.from(file) });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("heading", { name: "Nothing was imported" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("1 of the 2 ICPs in the file was refused");
  await expect(page.getByText("leadsPerList")).toBeVisible();
  // Numbered as the builder numbers, in the app's style, with its way back.
  await expect(page.getByRole("listitem").filter({ hasText: "ICP 1 “Fine one”" })).toContainText("fine");
  await expect(page.getByRole("listitem").filter({ hasText: "ICP 2 “Too many leads”" })).toContainText("refused");
  const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  expect(font).not.toMatch(/Times/i);
  await expect(page.getByRole("link", { name: "ICP Builder" })).toBeVisible();
  const list = await (await page.request.get("/api/v1/entities/icps")).json();
  expect(list).toEqual([]);
});

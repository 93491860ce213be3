import { test, expect } from "@playwright/test";

test("the home page renders on the server and hydrates", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "ICP Builder" })).toBeVisible();
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.getByRole("link", { name: "JSON API" })).toHaveAttribute("href", "/api/openapi.json");
  expect(errors).toEqual([]);
});

import { test, expect, waitForHydration } from "../support/app";

test("the home page sends a signed-out visitor to sign in, rendered on the server and hydrated", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveURL(/\/sign-in\?next=%2Ficps$/);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "ICP Builder" })).toHaveAttribute("href", "/icps");
  await expect(page.getByRole("link", { name: "Create an account" })).toHaveAttribute("href", "/sign-up?next=%2Ficps");
});

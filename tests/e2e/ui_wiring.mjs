// The wiring page in headless Chromium against a real Label Studio: after "Check again", the
// webhook of PROJECT shows the health the API gives (EXPECTED), the page shows LS's answer,
// and nothing fails on the way (no console error, no failed request, no CSP violation).
// Usage: node ui_wiring.mjs BASE_URL ADMIN ADMIN_PASSWORD PROJECT EXPECTED SCREENSHOT
import { accessibility, fail, launch, ppiLogin, watchCsp, watchProblems } from "./common.mjs";

const [base, admin, password, project, expected, shot] = process.argv.slice(2);

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const problems = watchProblems(page);
  const violations = await watchCsp(page);
  await ppiLogin(page, base, admin, password);
  await page.click("[data-testid=nav-wiring]");
  await page.waitForSelector("[data-testid=wiring-webhook]");
  await page.focus("[data-testid=wiring-check]");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /^Checked|^Check failed/.test(document.querySelector("[data-testid=wiring-checked]").textContent), null, { timeout: 120000 });
  const checked = await page.textContent("[data-testid=wiring-checked]");
  if (!checked.startsWith("Checked")) fail(checked);
  const row = `[data-testid=wiring-webhook][data-project="${project}"]`;
  const health = await page.getAttribute(row, "data-health");
  const said = await page.textContent(`${row} [data-testid=wiring-health]`);
  if (health !== expected || !said.startsWith(`${expected}:`)) fail(`webhook of project ${project} shows ${health} (${said}), expected ${expected}`);
  const answers = await page.textContent("[data-testid=wiring-ls-reachable]");
  await page.screenshot({ path: shot, fullPage: true });
  problems.push(...(await accessibility(page, "body")).map((v) => `accessibility: ${v}`));
  const reported = await violations();
  if (reported.length) problems.push(...reported.map((v) => `CSP: ${v}`));
  if (problems.length) fail(problems.join("\n"));
  console.log(`OK project=${project} health=${health} ls=${answers}`);
} finally {
  await browser.close();
}

// What the browser tests share: Debian's Chromium through playwright-core, failing with a
// message, logging in to PPI's UI or to Label Studio, and collecting CSP violations.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

export const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
}

// Logs in to PPI's web UI and waits for the lessons view.
export async function ppiLogin(page, base, user, password) {
  await page.goto(base);
  await page.fill("[data-testid=username]", user);
  await page.fill("[data-testid=password]", password);
  await page.click("[data-testid=login-submit]");
  await page.waitForSelector("[data-testid=upload-form]", { state: "visible" });
}

// Logs in to Label Studio.
export async function lsLogin(page, base, email, password) {
  await page.goto(`${base}/user/login/`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

// Collects Content-Security-Policy violations (events and console reports); call before the
// first navigation, read with `await violations()`.
export async function watchCsp(page) {
  const seen = [];
  page.on("console", (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) seen.push(m.text()); });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return async () => [...seen, ...await page.evaluate(() => window.__csp || [])];
}

// axe-core's WCAG 2.1 A and AA rules on the page as it is now; returns the violations as lines
// ("rule (impact): target…"). The script is evaluated through the debugging protocol, which
// the page's CSP does not govern, so nothing is added to the page itself.
const axeSource = readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
export async function accessibility(page, scope = "main") {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async (sel) => {
    const r = await window.axe.run(document.querySelector(sel), { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  }, scope);
  return found;
}

// Collects what must not happen on a page: page errors, console errors, failed requests (a
// request cancelled by a navigation is not one) and 4xx/5xx answers. Returns the list, which
// grows as the page runs.
export function watchProblems(page) {
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("requestfailed", (r) => { if (r.failure()?.errorText !== "net::ERR_ABORTED") problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  return problems;
}

// Label Studio's own editor shows PPI's draft: log in to LS, open the task in the labeling
// view, and find the suggested pattern's region and its transcript on screen.
// Usage: node ls_editor.mjs LS_URL EMAIL PASSWORD PROJECT TASK EXPECT_LABEL EXPECT_TEXT SCREENSHOT [ALSO]
// ALSO: more labels that must be on screen, comma-separated (e.g. the speaker lane's Teacher).
import { fail, launch, lsLogin } from "./common.mjs";

const [base, email, password, project, task, label, text, shot, also = ""] = process.argv.slice(2);

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await lsLogin(page, base, email, password);
  await page.goto(`${base}/projects/${project}/data?task=${task}`);
  await page.waitForFunction((l) => document.body.innerText.includes(l), label, { timeout: 90000 })
    .catch(() => {});
  // The draft is listed as the prediction ("whisper-…+rules-1"); select it to see its regions.
  await page.getByText("whisper-", { exact: false }).first().click().catch(() => {});
  await page.waitForTimeout(2000);
  const seen = async () => page.evaluate(() => document.body.innerText + "\n" +
    [...document.querySelectorAll("textarea, input")].map((t) => t.value).join("\n"));
  let body = await seen();
  if (process.env.LS_EDITOR_DEBUG) console.error(body);
  if (!body.includes(label)) fail(`no ${label} on screen:\n${body.slice(0, 3000)}`);
  for (const more of also.split(",").filter(Boolean)) {
    if (!body.includes(more)) fail(`no ${more} on screen:\n${body.slice(0, 3000)}`);
  }
  if (!body.toLowerCase().includes(text.toLowerCase())) {
    // The per-region transcript shows when its region is selected in the outliner.
    const regions = page.locator("[class*=outliner] [class*=item], [class*=region-item], [class*=treeitem], [role=treeitem]");
    const n = await regions.count();
    for (let i = 0; i < n && !body.toLowerCase().includes(text.toLowerCase()); i++) {
      await regions.nth(i).click().catch(() => {});
      await page.waitForTimeout(800);
      body = await seen();
    }
  }
  await page.screenshot({ path: shot, fullPage: true });
  if (!body.toLowerCase().includes(text.toLowerCase())) fail(`no transcript "${text}" on screen:\n${body.slice(0, 4000)}`);
  console.log(`OK ${label} and "${text}" shown`);
} finally {
  await browser.close();
}

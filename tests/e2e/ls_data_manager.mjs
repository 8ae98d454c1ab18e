// Label Studio's Data Manager shows PPI's consensus score: log in to LS, open the project's
// data view (a tab given by id, sorted by prediction score), and find the "Prediction score"
// column with the expected task in the first row.
// Usage: node ls_data_manager.mjs LS_URL EMAIL PASSWORD PROJECT VIEW FIRST_TASK SCREENSHOT
import { fail, launch, lsLogin } from "./common.mjs";

const [base, email, password, project, view, first, shot] = process.argv.slice(2);

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
  await lsLogin(page, base, email, password);
  await page.goto(`${base}/projects/${project}/data?tab=${view}`);
  await page.waitForFunction(() => document.body.innerText.includes("Prediction score"), null,
    { timeout: 90000 }).catch(() => {});
  await page.waitForTimeout(2000);
  const body = await page.evaluate(() => document.body.innerText);
  if (process.env.LS_DM_DEBUG) console.error(body);
  await page.screenshot({ path: shot });
  if (!body.includes("Prediction score")) fail(`no Prediction score column:\n${body.slice(0, 3000)}`);
  // The rows, top to bottom: the first task id shown after the header.
  const ids = [...body.matchAll(/^\s*(\d+)\s*$/gm)].map((m) => m[1]);
  if (ids[0] !== first) fail(`first row ${ids[0]}, expected task ${first}; rows ${ids.join(",")}\n${body.slice(0, 3000)}`);
  console.log(`OK task ${first} first, by prediction score`);
} finally {
  await browser.close();
}

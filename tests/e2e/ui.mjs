// End-to-end test of the web UI in headless Chromium: log in, upload a generated video, wait
// for the audio job, open the lesson page, check video, audio and the copyable URL, and take a
// screenshot; all under PPI's Content-Security-Policy, with no violation reported and no
// console error or failed request once logged in. Usage: node ui.mjs BASE_URL USER PASSWORD VIDEO SCREENSHOT_DIR
import { fail, launch, watchCsp } from "./common.mjs";

const [base, user, password, video, shots] = process.argv.slice(2);

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("pageerror", (e) => fail(`page error: ${e.message}`));
  const violations = await watchCsp(page);
  const first = await page.goto(base);
  const csp = first.headers()["content-security-policy"] || "";
  if (!csp.includes("script-src 'self'") || !csp.includes("frame-ancestors 'none'")) fail(`CSP: ${csp}`);

  // A wrong password is refused with a message.
  await page.fill("[data-testid=username]", user);
  await page.fill("[data-testid=password]", "wrong-password");
  await page.click("[data-testid=login-submit]");
  await page.waitForFunction(() => document.querySelector("[data-testid=login-error]").textContent.length > 0);

  await page.fill("[data-testid=password]", password);
  await page.click("[data-testid=login-submit]");
  await page.waitForSelector("[data-testid=upload-form]", { state: "visible" });
  // From here on, nothing may fail: no console error, no 4xx or 5xx (the lesson page once
  // asked for analytics a lesson without annotations does not have, and logged a 404).
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  const who = await page.textContent("[data-testid=whoami]");
  if (!who.includes(user)) fail(`whoami shows ${who}`);

  // Upload with a progress bar.
  await page.setInputFiles("[data-testid=upload-file]", video);
  await page.fill("[data-testid=upload-title]", "E2E lesson");
  await page.click("[data-testid=upload-submit]");
  await page.waitForFunction(() => document.querySelector("[data-testid=upload-progress]").value === 100, null, { timeout: 60000 });
  // The bar reaches 100 % when the bytes are sent; the answer (and the status) comes after.
  await page.waitForFunction(() => /uploaded/.test(document.querySelector("[data-testid=upload-status]").textContent),
    null, { timeout: 60000 }).catch(async () => fail(`upload status: ${await page.textContent("[data-testid=upload-status]")}`));

  // The upload line follows the lesson until it is ready (not a fixed "extracting" line).
  await page.waitForFunction(() => document.querySelector("[data-testid=upload-status]").textContent.endsWith(": ready"),
    null, { timeout: 120000 }).catch(async () => fail(`upload status stays: ${await page.textContent("[data-testid=upload-status]")}`));
  // The lesson list shows the job until the audio is extracted.
  await page.waitForFunction(
    () => [...document.querySelectorAll("[data-testid=lesson-row-status]")].some((e) => e.textContent === "ready"),
    null, { timeout: 120000 });
  await page.screenshot({ path: `${shots}/lessons.png`, fullPage: true });

  // The lesson page: video, audio, copyable URL.
  await page.click("[data-testid=lesson-row] a");
  await page.waitForFunction(() => document.querySelector("[data-testid=lesson-status]").textContent === "ready");
  const title = await page.textContent("[data-testid=lesson-title]");
  if (title !== "E2E lesson") fail(`title ${title}`);
  const url = await page.inputValue("[data-testid=lesson-url]");
  if (!/^http:\/\/.*\/files\/lessons\/.*source\.mp4\?exp=\d+&sig=[0-9a-f]{64}$/.test(url)) fail(`url ${url}`);
  await page.waitForFunction(() => document.querySelector("[data-testid=lesson-audio]").readyState >= 1, null, { timeout: 30000 });
  const audioDuration = await page.evaluate(() => document.querySelector("[data-testid=lesson-audio]").duration);
  if (!(Math.abs(audioDuration - 20) < 0.5)) fail(`audio duration ${audioDuration}`);
  const videoState = await page.evaluate(() => {
    const v = document.querySelector("[data-testid=lesson-video]");
    return { src: v.currentSrc, canPlay: v.canPlayType("video/mp4; codecs=\"avc1.42E01E\"") };
  });
  if (!videoState.src.includes("source.mp4")) fail(`video src ${videoState.src}`);
  if (videoState.canPlay) {
    await page.waitForFunction(() => document.querySelector("[data-testid=lesson-video]").readyState >= 1, null, { timeout: 30000 });
  }
  await page.click("[data-testid=copy-url]");
  await page.waitForFunction(() => document.getElementById("lesson-copied").textContent === "copied");
  await page.screenshot({ path: `${shots}/lesson.png`, fullPage: true });
  const reported = await violations();
  if (reported.length) fail(`CSP violations: ${reported.join("; ")}`);
  if (problems.length) fail(problems.join("\n"));
  console.log(`OK h264=${videoState.canPlay || "no"} audio=${audioDuration.toFixed(2)}s`);
} finally {
  await browser.close();
}

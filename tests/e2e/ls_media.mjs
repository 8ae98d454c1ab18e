// Annotators see the media: in Label Studio's own editor (a real Chromium), the annotation task's
// lesson video loads and plays and the timeline shows PPI's draft regions; the review task's clip
// plays, its key frame decodes and its audio loads. Any CORS error in the console fails.
// Usage: node ls_media.mjs LS_URL EMAIL PASSWORD PROJECT TASK LABEL REVIEW_PROJECT REVIEW_TASK SHOT_PREFIX
import { chromium } from "playwright-core";

const [base, email, password, project, task, label, rproject, rtask, prefix] = process.argv.slice(2);
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("console", (m) => {
    const t = m.text();
    if (/CORS|Access-Control|issue loading URL/i.test(t)) problems.push(t);
  });
  page.on("requestfailed", (r) => {
    const why = r.failure()?.errorText || "";
    // A player re-mounted by the editor aborts its earlier request: not a failure to load.
    if (why.includes("ERR_ABORTED")) return;
    if (/\/files\/|X-Amz-|keyframe|clip|audio/.test(r.url())) problems.push(`request failed: ${r.url()} ${why}`);
  });
  await page.goto(`${base}/user/login/`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);

  // The player: loaded (readyState >= 2) and its clock moves when played. The editor may
  // re-mount the player while the task's other media load (the review task has four images):
  // a vanished element is looked for again, up to three times.
  const plays = async (what, attempt = 1) => {
    try {
      return await playsOnce(what);
    } catch (e) {
      if (attempt < 3 && /null|detached|Execution context/.test(String(e))) {
        await page.waitForTimeout(1000);
        return plays(what, attempt + 1);
      }
      throw e;
    }
  };
  const playsOnce = async (what) => {
    await page.waitForFunction(() => { const v = document.querySelector("video"); return v && v.readyState >= 2; },
      null, { timeout: 90000 }).catch(() => {});
    const state = await page.evaluate(() => {
      const v = document.querySelector("video");
      return v ? { ready: v.readyState, err: v.error && v.error.message, src: v.currentSrc } : null;
    });
    if (!state) throw new Error(`${what}: the video element is null`);
    if (state.ready < 2) fail(`${what}: the video did not load: ${JSON.stringify(state)}; console: ${problems.join(" | ")}`);
    // Played and watched advancing. Label Studio may re-render the editor (a new, paused
    // <video>) while a saturated machine is slow to start playback: play the element that is
    // there now, up to three times, before calling it a failure.
    let advancing = false;
    for (let round = 0; round < 3 && !advancing; round++) {
      const t0 = await page.evaluate(async () => {
        const v = document.querySelector("video");
        v.muted = true;
        await v.play();
        return v.currentTime;
      });
      advancing = await page.waitForFunction((t) => document.querySelector("video").currentTime > t + 0.2, t0, { timeout: 20000 })
        .then(() => true, () => false);
    }
    if (!advancing) fail(`${what}: the video does not play`);
    await page.evaluate(() => document.querySelector("video").pause());
    return state;
  };
  const text = () => page.evaluate(() => document.body.innerText);

  // 1. The annotation task: the lesson video, and the draft's regions on the timeline.
  await page.goto(`${base}/projects/${project}/data?task=${task}`);
  const lessonVideo = await plays("the lesson video");
  await page.getByText("whisper-", { exact: false }).first().click().catch(() => {});
  await page.waitForFunction((l) => document.body.innerText.includes(l), label, { timeout: 30000 })
    .catch(async () => fail(`no draft region "${label}" on screen:\n${(await text()).slice(0, 3000)}`));
  const regions = await page.evaluate(() =>
    document.querySelectorAll("[class*=timeline] [class*=region], [class*=seeker] [class*=region], [class*=keypoints] [class*=region]").length);
  // Selecting the draft re-mounts the player: it must load again.
  await plays("the lesson video, with the draft selected");
  await page.mouse.move(5, 500);
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${prefix}annotation.png`, fullPage: true });

  // 2. The review task: the clip plays, the key frame decodes, the audio loads.
  await page.goto(`${base}/projects/${rproject}/data?task=${rtask}`);
  const clip = await plays("the review clip");
  await page.waitForFunction(() => [...document.images].some((i) => /keyframe/.test(i.src) && i.complete && i.naturalWidth > 0),
    null, { timeout: 30000 }).catch(() => {});
  const frame = await page.evaluate(() => {
    const i = [...document.images].find((i) => /keyframe/.test(i.src));
    return i ? { w: i.naturalWidth, h: i.naturalHeight, src: i.src } : null;
  });
  if (!frame || frame.w === 0) fail(`the key frame did not load: ${JSON.stringify(frame)}; console: ${problems.join(" | ")}`);
  // The other candidate frames the reviewer may pick, and the Frame 1/2/3 choice.
  await page.waitForFunction(() => [2, 3].every((k) => [...document.images].some((i) =>
      i.src.includes(`frame-${k}.jpg`) && i.complete && i.naturalWidth > 0)), null, { timeout: 30000 })
    .catch(async () => fail(`the candidate frames did not load: ${JSON.stringify(await page.evaluate(() =>
      [...document.images].map((i) => [i.src.slice(0, 120), i.naturalWidth])))}`));
  const choices = await page.evaluate(() => ["Frame 1", "Frame 2", "Frame 3"].filter((c) => document.body.innerText.includes(c)).length);
  if (choices !== 3) fail(`the frame choice is not shown: ${(await text()).slice(0, 2000)}`);
  // LS's <Audio> fetches the file and draws its waveform (or uses a media element).
  await page.waitForFunction(() => {
    const a = document.querySelector("audio");
    if (a && a.readyState >= 1) return true;
    return [...document.querySelectorAll("canvas")].some((c) => c.width > 0 && c.closest("[class*=audio], [class*=wave]"));
  }, null, { timeout: 30000 }).catch(() => fail(`the audio did not load; console: ${problems.join(" | ")}`));
  const audio = await page.evaluate(() => {
    const a = document.querySelector("audio");
    return a ? { ready: a.readyState, duration: a.duration } : { waveform: true };
  });
  await page.screenshot({ path: `${prefix}review.png`, fullPage: true });
  // The key frame and the audio sit below the clip in the editor's scrolling panel.
  await page.evaluate(() => [...document.images].find((i) => /keyframe/.test(i.src))?.scrollIntoView());
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${prefix}review-frame.png` });
  // The three frames the reviewer chooses from, and the Frame 1/2/3 choice below them.
  await page.evaluate(() => [...document.images].find((i) => i.src.includes("frame-2.jpg"))?.scrollIntoView());
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${prefix}review-candidates.png` });
  if (problems.length) fail(`the console reported: ${problems.join(" | ")}`);
  console.log(`OK lesson=${JSON.stringify(lessonVideo)} regions=${regions} clip=${JSON.stringify(clip)} ` +
              `keyframe=${frame.w}x${frame.h} candidates=2 audio=${JSON.stringify(audio)}`);
} finally {
  await browser.close();
}

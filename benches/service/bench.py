#!/usr/bin/env python3
"""Service benchmark (issue: service core). One run, against one `ppi serve` on the embedded
defaults (SQLite queue, local storage) in a scratch data dir:

  (a) wrk against GET /health, paced to about 500 req/s, p50/p90/p99
  (b) wrk against an authenticated GET /api/lessons (admin, 25 lessons with their jobs), same pace
  (c) both without pacing (the most this 2-core machine serves, wrk sharing the cores)
  (d) peak RSS of the server while a 1 GB video is uploaded (multipart, curl) and while its
      audio-extraction job runs

Plain wrk (Debian) has no fixed-rate mode, so pace.lua makes each connection wait between
requests; a short calibration run sets the wait so that the offered rate is 500 req/s. The
/health run is the anchor the /api/lessons figures are compared with. Usage:

  benches/service/run.sh [--seconds 30] [--upload-gib 1]
"""
import argparse, json, os, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONNECTIONS = 50
THREADS = 2
TARGET_RATE = 500.0


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def api(url, body=None, token=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def vm(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak(pid):
    """Resets VmHWM (Linux: writing 5 to clear_refs); returns whether it worked."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def wrk(url, seconds, pace_ms, token=None):
    env = dict(os.environ, PACE_MS=str(pace_ms), TOKEN=token or "")
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
         "-s", str(HERE / "pace.lua"), url],
        check=True, capture_output=True, text=True, env=env).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    r = {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    return r


def paced(url, seconds, token=None):
    """Calibrates the per-connection wait for TARGET_RATE, then measures."""
    pace = CONNECTIONS * 1000.0 / TARGET_RATE
    for _ in range(2):
        cal = wrk(url, 4, int(pace), token)
        per_request_ms = CONNECTIONS * 1000.0 / cal["rate"]  # wait + latency + scheduling
        pace = max(0.0, pace - (per_request_ms - CONNECTIONS * 1000.0 / TARGET_RATE))
    return wrk(url, seconds, int(round(pace)), token)


def show(label, r):
    print(f"  {label:<34} {r['rate']:8.1f} req/s  p50 {r['p50_us']/1000:7.3f} ms  "
          f"p90 {r['p90_us']/1000:7.3f} ms  p99 {r['p99_us']/1000:7.3f} ms  "
          f"errors {int(r['errors'])}  non-2xx {int(r['non2xx'])}", flush=True)


def make_clip(path, seconds, hue):
    sh(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={seconds},hue=h={hue}",
        "-f", "lavfi", "-i", f"sine=frequency={300 + hue}:sample_rate=16000:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", str(path)])


def make_big(path, gib):
    """A valid video of about `gib` GiB: raw 720p frames and PCM audio in Matroska."""
    frames = int(gib * (1 << 30) / (1280 * 720 * 3 // 2)) + 1
    sh(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30,trim=end_frame={frames}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", "-shortest", str(path)])


def upload(base, token, path):
    out = subprocess.run(
        ["curl", "-sS", "-f", "-H", f"authorization: Bearer {token}", "-F", f"file=@{path}",
         f"{base}/api/lessons"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def wait_ready(base, token, lesson_id, pid=None, timeout=600):
    peak = 0.0
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        l = api(f"{base}/api/lessons/{lesson_id}", token=token)["lesson"]
        if pid:
            peak = max(peak, vm(pid, "VmHWM"))
        if l["status"] in ("ready", "failed"):
            return l, peak
        time.sleep(0.2)
    raise SystemExit(f"lesson {lesson_id} not ready after {timeout} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ppi", required=True)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--upload-gib", type=float, default=1.0)
    ap.add_argument("--lessons", type=int, default=25)
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ppi-svc-bench-") as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, PPI_DATA_DIR=str(tmp / "data"), PPI_ADMIN_USER="bench",
                   PPI_ADMIN_PASSWORD="bench-password", PPI_LOG="warn",
                   PPI_MAX_UPLOAD_BYTES=str(8 << 30))
        srv = subprocess.Popen([a.ppi, "serve", "--bind", "127.0.0.1:0"], env=env,
                               stdout=subprocess.PIPE, text=True)
        try:
            base = srv.stdout.readline().strip().removeprefix("listening on ")
            print(f"ppi serve at {base} (pid {srv.pid})", flush=True)
            token = api(f"{base}/api/auth/login",
                        {"username": "bench", "password": "bench-password"})["access_token"]

            print(f"seeding {a.lessons} lessons ...", flush=True)
            ids = []
            for i in range(a.lessons):
                clip = tmp / f"lesson{i}.mp4"
                make_clip(clip, 2, i * 7)
                ids.append(upload(base, token, clip)["lesson"]["id"])
            for i in ids:
                wait_ready(base, token, i)
            listed = api(f"{base}/api/lessons", token=token)["lessons"]
            assert len(listed) == a.lessons, len(listed)

            print(f"wrk: {THREADS} threads, {CONNECTIONS} connections, {a.seconds} s per run", flush=True)
            results = {}
            for label, path, tok in [("health", "/health", None), ("lessons", "/api/lessons", token)]:
                wrk(base + path, 3, 0, tok)  # warm-up
                results[label] = paced(base + path, a.seconds, tok)
                show(f"GET {path} paced", results[label])
            for label, path, tok in [("health_max", "/health", None), ("lessons_max", "/api/lessons", token)]:
                results[label] = wrk(base + path, max(10, a.seconds // 2), 0, tok)
                show(f"GET {path} unpaced", results[label])
            rss_after_wrk = vm(srv.pid, "VmHWM")
            print(f"  server peak RSS after the wrk runs: {rss_after_wrk:.1f} MB")

            if a.upload_gib > 0:
                big = tmp / "big.mkv"
                print(f"generating a {a.upload_gib:g} GiB video ...", flush=True)
                make_big(big, a.upload_gib)
                size = big.stat().st_size
                reset = reset_peak(srv.pid)
                before = vm(srv.pid, "VmRSS")
                t0 = time.monotonic()
                lesson = upload(base, token, big)["lesson"]
                upload_s = time.monotonic() - t0
                rss_upload = vm(srv.pid, "VmHWM")
                anon_upload = vm(srv.pid, "RssAnon")
                done, rss_job = wait_ready(base, token, lesson["id"], srv.pid)
                job_s = time.monotonic() - t0 - upload_s
                rss_job = max(rss_job, vm(srv.pid, "VmHWM"))
                print(f"  1 GB upload: {size / 1e6:.0f} MB in {upload_s:.1f} s "
                      f"({size / upload_s / 1e6:.0f} MB/s); server RSS before {before:.1f} MB, "
                      f"peak during upload {rss_upload:.1f} MB{'' if reset else ' (peak not reset)'}, "
                      f"of it anonymous (not shared libraries) {anon_upload:.1f} MB at the end")
                print(f"  audio job: {done['status']} after {job_s:.1f} s; peak RSS including the job "
                      f"{rss_job:.1f} MB")
            h, l = results["health"], results["lessons"]
            print("ratios (GET /api/lessons / GET /health, paced):")
            print(f"  p50 {l['p50_us'] / h['p50_us']:.2f}x  p99 {l['p99_us'] / h['p99_us']:.2f}x")
            print(f"  unpaced throughput {results['lessons_max']['rate'] / results['health_max']['rate']:.2f}x")
        finally:
            srv.terminate()
            srv.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Media benchmark (issue: dataset builder). One run measures, on the same input:

  (a) ppi dataset build --mode accurate
  (b) ppi dataset build --mode copy
  (c) the ffmpeg CLI, one process each for clip, frame and WAV (re-encode, and stream copy)
  (d) the old moviepy approach (moviepy_anchor.py)

Workload: a 10-minute 720p30 H.264/AAC lesson (testsrc2 + sine, 2 s GOP) and 30 intervals of
5-30 s; each interval needs a clip, its middle frame as JPEG, and 16 kHz mono WAV.
Whole-process wall time and peak RSS come from GNU time. Usage:

  benches/media/run.sh [--skip-moviepy] [--minutes 10]
"""
import argparse, json, os, random, shutil, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent

def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)

def timed(label, cmd, env=None):
    """Runs cmd under GNU time; returns wall seconds, peak RSS MB, CPU seconds."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-o", tf.name, "-f", "%e %M %U %S"] + cmd
        t0 = time.monotonic()
        subprocess.run(full, check=True, env=env, stdout=subprocess.DEVNULL)
        wall_outer = time.monotonic() - t0
        e, m, u, s = tf.read().split()[-4:]
    r = {"label": label, "wall_s": float(e), "peak_rss_mb": int(m) / 1024, "cpu_s": float(u) + float(s)}
    print(f"  {label:<38} {r['wall_s']:8.2f} s  {r['peak_rss_mb']:7.1f} MB  cpu {r['cpu_s']:7.1f} s", flush=True)
    return r

def make_lesson(path, minutes):
    if path.exists():
        return
    print(f"generating {minutes}-minute 720p30 lesson at {path} ...", flush=True)
    d = minutes * 60
    sh(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={d}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={d}",
        "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-shortest", str(path) + ".part.mp4"])
    os.replace(str(path) + ".part.mp4", path)

def make_intervals(n, duration, fps, seed=42):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        length = rnd.uniform(5, 30)
        start = rnd.uniform(0, duration - length - 1)
        s = int(start * fps) + 1
        e = int((start + length) * fps)
        out.append((s, e))
    return out

def write_export(path, video_name, intervals, fps):
    labels = ["Lecture", "Questioning", "GroupWork", "Demonstration"]
    result = [{"id": f"r{i}", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
               "value": {"ranges": [{"start": s, "end": e}], "timelinelabels": [labels[i % 4]]}}
              for i, (s, e) in enumerate(intervals)]
    task = {"id": 1, "data": {"video": f"/data/upload/1/{video_name}", "fps": fps, "lesson_id": "bench"},
            "annotations": [{"id": 1, "completed_by": 1, "was_cancelled": False, "result": result}]}
    Path(path).write_text(json.dumps([task]))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ppi", required=True)
    ap.add_argument("--python", default=sys.executable, help="python with moviepy")
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/ppi/bench"))
    ap.add_argument("--skip-moviepy", action="store_true")
    ap.add_argument("--long-minutes", type=int, default=0, help="also run ppi on a lesson this long, to show peak RSS does not grow with length")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    work = Path(args.work); work.mkdir(parents=True, exist_ok=True)
    lesson = work / f"lesson-{args.minutes}min.mp4"
    make_lesson(lesson, args.minutes)
    fps = 30
    intervals = make_intervals(30, args.minutes * 60, fps)
    export = work / "bench-export.json"
    write_export(export, lesson.name, intervals, fps)
    patterns = work / "patterns.csv"
    patterns.write_text("pattern type,comments\nLecture,a\nQuestioning,b\nGroupWork,c\nDemonstration,d\n")
    secs = [((s - 1) / fps, e / fps) for s, e in intervals]
    total = sum(e - s for s, e in secs)
    print(f"workload: {lesson.name} ({lesson.stat().st_size/1e6:.0f} MB), {len(intervals)} intervals, {total:.0f} s of clips")

    runs = {}
    out = work / "out"
    for mode in ["accurate", "copy"]:
        shutil.rmtree(out, ignore_errors=True)
        runs[f"ppi_{mode}"] = timed(f"(a/b) ppi {mode}", [args.ppi, "--quiet", "dataset", "build", "--video", str(lesson),
                                    "--annotations", str(export), "--patterns", str(patterns), "--out", str(out),
                                    "--mode", mode, "--jobs", "2"])

    cli = work / "cli"
    def cli_script(copy):
        lines = ["set -e", f"cd {cli}"]
        for i, (s, e) in enumerate(secs):
            d, mid = e - s, (s + e) / 2
            codec = "-c copy" if copy else "-c:v libx264 -preset veryfast -c:a aac"
            lines.append(f"ffmpeg -v error -y -ss {s:.4f} -i {lesson} -t {d:.4f} {codec} clip{i}.mp4")
            lines.append(f"ffmpeg -v error -y -ss {mid:.4f} -i {lesson} -frames:v 1 -q:v 2 frame{i}.jpg")
            lines.append(f"ffmpeg -v error -y -ss {s:.4f} -i {lesson} -t {d:.4f} -vn -ac 1 -ar 16000 -c:a pcm_s16le a{i}.wav")
        return "\n".join(lines)
    for copy, key, label in [(False, "cli_reencode", "(c) ffmpeg CLI, x264 veryfast"), (True, "cli_copy", "(c) ffmpeg CLI, stream copy")]:
        shutil.rmtree(cli, ignore_errors=True); cli.mkdir()
        runs[key] = timed(label, ["bash", "-c", cli_script(copy)])

    if not args.skip_moviepy:
        mp = work / "moviepy"
        shutil.rmtree(mp, ignore_errors=True); mp.mkdir()
        runs["moviepy"] = timed("(d) moviepy (old main.py approach)", [args.python, str(HERE / "moviepy_anchor.py"), str(lesson), str(export), str(mp)])

    if args.long_minutes:
        long_lesson = work / f"lesson-{args.long_minutes}min.mp4"
        make_lesson(long_lesson, args.long_minutes)
        long_export = work / "bench-export-long.json"
        write_export(long_export, long_lesson.name, intervals, fps)
        shutil.rmtree(out, ignore_errors=True)
        runs["ppi_accurate_long"] = timed(f"(a) ppi accurate, {args.long_minutes}-min lesson", [args.ppi, "--quiet", "dataset", "build",
                                          "--video", str(long_lesson), "--annotations", str(long_export), "--patterns", str(patterns),
                                          "--out", str(out), "--mode", "accurate", "--jobs", "2"])

    a, b = runs["ppi_accurate"]["wall_s"], runs["ppi_copy"]["wall_s"]
    ratios = {
        "cli_reencode / ppi_accurate": runs["cli_reencode"]["wall_s"] / a,
        "ppi_copy / cli_copy": b / runs["cli_copy"]["wall_s"],
    }
    if "moviepy" in runs:
        ratios["moviepy / ppi_accurate"] = runs["moviepy"]["wall_s"] / a
        ratios["moviepy / ppi_copy"] = runs["moviepy"]["wall_s"] / b
    print("ratios:")
    for k, v in ratios.items():
        print(f"  {k:<30} {v:8.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "ratios": ratios, "intervals": len(intervals), "clip_seconds": total}, indent=1))

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Key-frame benchmark (issue 10). On the P1 workload (a 10-minute 720p30 lesson, 30 intervals
of 5-30 s, as benches/media/bench.py makes it), one run measures:

  (a) ppi dataset build --key-frame middle   (clip, middle frame, WAV per interval)
  (b) ppi dataset build --key-frame best     (the same, the key frame scored over the interval)
  (c) the ffmpeg CLI's `thumbnail` filter, one process per interval, picking a "typical" frame
      (default batch of 100 frames from the interval start, the CLI's usual use)

and reports best/middle and thumbnail/best wall-time ratios, how many of the 30 intervals
change their frame, and writes 3 middle/best pairs (scaled to 320 px) to docs/keyframes/.

  benches/media/keyframe.sh [--minutes 10]
"""
import argparse, csv, os, shutil, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import make_intervals, make_lesson, timed, write_export  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def rows(out):
    with open(out / "metadata.csv", newline="") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ppi", required=True)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/ppi/bench"))
    ap.add_argument("--runs", type=int, default=3)
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

    def build(mode):
        out = work / f"kf-{mode}"
        shutil.rmtree(out, ignore_errors=True)
        r = timed(f"ppi build --key-frame {mode}", [args.ppi, "--quiet", "dataset", "build", "--video", str(lesson),
                   "--annotations", str(export), "--patterns", str(patterns), "--out", str(out),
                   "--key-frame", mode, "--jobs", "2"])
        return r["wall_s"], out

    cli = work / "kf-cli"
    lines = ["set -e", f"cd {cli}"]
    for i, (s, e) in enumerate(secs):
        lines.append(f"ffmpeg -v error -y -ss {s:.4f} -i {lesson} -t {e - s:.4f} -vf thumbnail -frames:v 1 -q:v 2 thumb{i}.jpg")
    walls = {"middle": [], "best": [], "thumbnail": []}
    for _ in range(args.runs):
        for mode in ["middle", "best"]:
            w, out = build(mode)
            walls[mode].append(w)
        shutil.rmtree(cli, ignore_errors=True); cli.mkdir()
        walls["thumbnail"].append(timed("ffmpeg -vf thumbnail per interval", ["bash", "-c", "\n".join(lines)])["wall_s"])
    med = {k: sorted(v)[len(v) // 2] for k, v in walls.items()}
    mid, best = rows(work / "kf-middle"), rows(work / "kf-best")
    changed = [i for i in mid if abs(float(mid[i]["keyframe_time"]) - float(best[i]["keyframe_time"])) > 1e-6]
    print(f"medians of {args.runs}: middle {med['middle']:.2f} s, best {med['best']:.2f} s, thumbnail CLI {med['thumbnail']:.2f} s")
    print(f"best / middle {med['best'] / med['middle']:.2f}x (target <= 2x); thumbnail CLI / best {med['thumbnail'] / med['best']:.2f}x (target > 1)")
    print(f"intervals whose key frame changed: {len(changed)} of {len(mid)}")
    docs = ROOT / "docs" / "keyframes"; docs.mkdir(parents=True, exist_ok=True)
    # The three largest score gains.
    gains = sorted(changed, key=lambda i: float(best[i]["key_frame_score"]) - float(best[i]["key_frame_middle_score"]), reverse=True)[:3]
    for n, i in enumerate(gains, 1):
        for name, d, r in [("middle", work / "kf-middle", mid[i]), ("best", work / "kf-best", best[i])]:
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(d / r["image_file"]), "-vf", "scale=320:-2",
                            "-q:v", "4", str(docs / f"pair{n}-{name}.jpg")], check=True)
        print(f"  pair {n}: {i}: middle {float(mid[i]['keyframe_time']):.2f} s -> best {float(best[i]['keyframe_time']):.2f} s, "
              f"score {float(best[i]['key_frame_middle_score']):.3f} -> {float(best[i]['key_frame_score']):.3f}")


main()

#!/usr/bin/env python3
"""The old approach (main.py + prepare_dataset.py's audio step), as the anchor for benchmarks:
moviepy subclipped(...).write_videofile with libx264 defaults, get_frame(mid) saved as JPEG,
and write_audiofile at 16 kHz mono. Usage: moviepy_anchor.py LESSON EXPORT OUTDIR"""
import json, sys
from pathlib import Path
from moviepy import VideoFileClip
from PIL import Image

lesson, export, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
task = json.loads(Path(export).read_text())[0]
fps = task["data"]["fps"]
video = VideoFileClip(lesson)
for i, r in enumerate(task["annotations"][0]["result"]):
    rng = r["value"]["ranges"][0]
    start, end = (rng["start"] - 1) / fps, rng["end"] / fps
    clip = video.subclipped(start, end)
    clip.write_videofile(str(out / f"pattern_{i}.mp4"), logger=None)
    Image.fromarray(video.get_frame((start + end) / 2)).save(out / f"pattern_{i}.jpg")
    clip.audio.write_audiofile(str(out / f"pattern_{i}.wav"), fps=16000, nbytes=2, ffmpeg_params=["-ac", "1"], logger=None)
video.close()

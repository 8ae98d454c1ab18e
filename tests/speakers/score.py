"""Scores PPI's speaker turns against a synthetic lesson's truth.

    python score.py truth.json ppi.json

Prints JSON:
- `der`: the diarization error rate from pyannote.metrics (no collar, overlap scored), and its
  parts (missed speech, false alarm, confusion), as fractions of the truth's speech;
- `der_collar`: the same with the customary 0.25-s collar around each truth boundary;
- `teacher_share` / `teacher_share_truth`: the teacher's talk (with or without others) as a
  share of the lesson;
- `role_accuracy`: over 10-ms frames where the truth has exactly one speaker, the share where
  PPI names that one role alone (teacher or student);
- `speakers` / `speakers_truth`: how many speakers each side has.
"""
import json
import sys

import numpy as np
from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

truth = json.load(open(sys.argv[1]))
ppi = json.load(open(sys.argv[2]))
duration = truth["duration"]


def annotation(turns):
    a = Annotation()
    for i, t in enumerate(turns):
        if t["end"] > t["start"]:
            a[Segment(t["start"], t["end"]), i] = t["speaker"]
    return a


ref, hyp = annotation(truth["turns"]), annotation(ppi["turns"])
uem = Segment(0, duration)
parts = DiarizationErrorRate()(ref, hyp, uem=uem, detailed=True)
der_collar = DiarizationErrorRate(collar=0.25)(ref, hyp, uem=uem)

step = 0.01
n = int(np.ceil(duration / step))


def frames(turns, key):
    """Per frame: the set of `key` values speaking."""
    out = [set() for _ in range(n)]
    for t in turns:
        for f in range(int(t["start"] / step), min(n, int(np.ceil(t["end"] / step)))):
            out[f].add(t[key])
    return out


truth_speakers, truth_roles = frames(truth["turns"], "speaker"), frames(truth["turns"], "role")
ppi_roles, ppi_speakers = frames(ppi["turns"], "role"), frames(ppi["turns"], "speaker")
single = [f for f in range(n) if len(truth_speakers[f]) == 1]
correct = sum(1 for f in single if ppi_roles[f] == truth_roles[f])
total = parts["total"]
print(json.dumps({
    "der": parts["diarization error rate"],
    "missed": parts["missed detection"] / total,
    "false_alarm": parts["false alarm"] / total,
    "confusion": parts["confusion"] / total,
    "der_collar": der_collar,
    "teacher_share": sum(1 for f in range(n) if "teacher" in ppi_roles[f]) * step / duration,
    "teacher_share_truth": sum(1 for f in range(n) if "teacher" in truth_roles[f]) * step / duration,
    "role_accuracy": correct / max(len(single), 1),
    "overlap_truth": sum(1 for f in range(n) if len(truth_speakers[f]) > 1) * step / duration,
    "overlap_recall": sum(1 for f in range(n) if len(truth_speakers[f]) > 1 and len(ppi_speakers[f]) > 1)
    / max(1, sum(1 for f in range(n) if len(truth_speakers[f]) > 1)),
    "overlap_precision": sum(1 for f in range(n) if len(truth_speakers[f]) > 1 and len(ppi_speakers[f]) > 1)
    / max(1, sum(1 for f in range(n) if len(ppi_speakers[f]) > 1)),
    "speakers": len({t["speaker"] for t in ppi["turns"]}),
    "speakers_truth": len({t["speaker"] for t in truth["turns"]}),
}))

"""Scores a draft's regions against a synthetic lesson's pattern intervals: per pattern, the
regions and the true intervals are matched one to one at IoU >= 0.5 (scipy's optimal
assignment), and TP, FP and FN are counted.

    python score.py truth.json draft.json [draft.json ...]

Prints JSON: for each draft, `{label: {"tp", "fp", "fn"}}` (regions whose label is not one of
the truth's patterns, the neutral "Speech", are left out).
"""
import json
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment

truth = json.load(open(sys.argv[1]))
labels = sorted({p["label"] for p in truth["patterns"]})


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


out = []
for path in sys.argv[2:]:
    regions = json.load(open(path))["regions"]
    counts = {}
    for label in labels:
        want = [(p["start"], p["end"]) for p in truth["patterns"] if p["label"] == label]
        got = [(r["start"], r["end"]) for r in regions if r["label"] == label]
        tp = 0
        if want and got:
            w = np.array([[iou(a, b) for b in got] for a in want])
            rows, cols = linear_sum_assignment(w, maximize=True)
            tp = int(sum(1 for r, c in zip(rows, cols) if w[r, c] >= 0.5))
        counts[label] = {"tp": tp, "fp": len(got) - tp, "fn": len(want) - tp}
    out.append(counts)
print(json.dumps(out))

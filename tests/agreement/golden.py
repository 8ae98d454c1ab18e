"""Golden agreement figures from the reference libraries, on a Label Studio export with several
annotations per task. PPI's own figures (src/agreement) must match these to 1e-9.

    python golden.py EXPORT.json LABEL,LABEL,... IOU

- Cohen's kappa: scikit-learn ``cohen_kappa_score``; Fleiss' kappa: statsmodels ``fleiss_kappa``;
  Krippendorff's alpha: the ``krippendorff`` package (level ``nominal``); percent agreement:
  nltk ``AnnotationTask.avg_Ao``; frame F1: pyannote.metrics ``DetectionPrecisionRecallFMeasure``
  (in seconds); interval matching: scipy ``linear_sum_assignment``; segment kappa: scikit-learn
  again, over the paired labels ("none" for a miss).

Units are frames: every frame of the lesson (``data.frames``) is a unit for every label, 0 when
the annotator did not mark it. Label Studio's ranges are 1-based and inclusive.

With ``--with-predictions`` (a fourth argument), each task's predictions (objects with results;
PPI's ``consensus-*`` ones left out; the speaker lane left out) are coders too, named by their
model version: paired with every human in the matrix and measured against all the humans; and
the ``machine`` section has each version against the humans' majority consensus (frames more
than half of them marked) beside every pair of humans: scikit-learn kappa over the concatenated
cells, intervals matched with scipy, and the matched boundaries' mean absolute error in seconds.
"""

import itertools
import json
import math
import os
import sys
import time
import warnings

import krippendorff
import numpy as np
from nltk.metrics.agreement import AnnotationTask
from pyannote.core import Annotation, Segment
from pyannote.metrics.detection import DetectionPrecisionRecallFMeasure
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

warnings.filterwarnings("ignore")


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def spans_of(annotation):
    out = []
    for r in annotation["result"]:
        if r.get("type") != "timelinelabels" or r.get("from_name") == "speaker":
            continue
        for rng in r["value"]["ranges"]:
            for label in r["value"]["timelinelabels"]:
                out.append((label, rng["start"] - 1, rng["end"]))
    return out


def vector(spans, label, n):
    v = np.zeros(n, dtype=int)
    for lab, s, e in spans:
        if lab == label:
            v[s:e] = 1
    return v


def kappas(vectors):
    """vectors: one 0/1 array per coder over the same cells."""
    m = len(vectors)
    data = np.stack(vectors, axis=1)  # cells x coders
    out = {}
    out["cohen"] = num(cohen_kappa_score(vectors[0], vectors[1])) if m == 2 else None
    table, _ = aggregate_raters(data, n_cat=2)
    out["fleiss"] = num(fleiss_kappa(table, method="fleiss"))
    try:
        out["alpha"] = num(krippendorff.alpha(reliability_data=np.stack(vectors), level_of_measurement="nominal"))
    except (ValueError, ZeroDivisionError):
        out["alpha"] = None
    triples = [(str(c), str(i), int(v[i])) for c, v in enumerate(vectors) for i in range(len(v))]
    out["percent"] = num(AnnotationTask(data=triples).avg_Ao())
    return out


def frame_f1(spans_by_coder, label, fps, coders):
    metric = DetectionPrecisionRecallFMeasure()
    values = []
    for a, b in itertools.combinations(coders, 2):
        ref, hyp = Annotation(), Annotation()
        for lab, s, e in spans_by_coder[a]:
            if label is None or lab == label:
                ref[Segment(s / fps, e / fps)] = "x"
        for lab, s, e in spans_by_coder[b]:
            if label is None or lab == label:
                hyp[Segment(s / fps, e / fps)] = "x"
        if not ref and not hyp:
            continue
        if not ref or not hyp:
            values.append(0.0)
            continue
        values.append(float(metric(ref, hyp)))
    return sum(values) / len(values) if values else None


def frame_f1_pooled(spans_by_coder, labels, n, coders):
    """Pooled cells: the labels' frames side by side, as one long timeline."""
    values = []
    for a, b in itertools.combinations(coders, 2):
        va = np.concatenate([vector(spans_by_coder[a], lab, n) for lab in labels])
        vb = np.concatenate([vector(spans_by_coder[b], lab, n) for lab in labels])
        if va.sum() + vb.sum() == 0:
            continue
        ref, hyp = Annotation(), Annotation()
        for v, ann in ((va, ref), (vb, hyp)):
            idx = np.flatnonzero(np.diff(np.concatenate([[0], v, [0]])))
            for s, e in zip(idx[::2], idx[1::2]):
                ann[Segment(float(s), float(e))] = "x"
        if not ref or not hyp:
            values.append(0.0)
            continue
        values.append(float(DetectionPrecisionRecallFMeasure()(ref, hyp)))
    return sum(values) / len(values) if values else None


def iou(x, y):
    inter = max(0, min(x[2], y[2]) - max(x[1], y[1]))
    union = (x[2] - x[1]) + (y[2] - y[1]) - inter
    return inter / union if union else 0.0


def assign(xa, xb, t, ok):
    if not xa or not xb:
        return []
    w = np.zeros((len(xa), len(xb)))
    for i, x in enumerate(xa):
        for j, y in enumerate(xb):
            v = iou(x, y)
            if ok(x, y) and v >= t and v > 0:
                w[i, j] = v
    rows, cols = linear_sum_assignment(w, maximize=True)
    return [(i, j, w[i, j]) for i, j in zip(rows, cols) if w[i, j] > 0]


def pair(sa, sb, labels, t):
    per_label, left_a, left_b, seg_a, seg_b = {}, [], [], [], []
    for label in labels:
        xa = [s for s in sa if s[0] == label]
        xb = [s for s in sb if s[0] == label]
        m = assign(xa, xb, t, lambda x, y: True)
        tp, fp, fn = len(m), len(xb) - len(m), len(xa) - len(m)
        per_label[label] = {
            "tp": tp, "fp": fp, "fn": fn,
            "f1": (2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) else None,
            "mean_iou": (sum(v for _, _, v in m) / tp) if tp else None,
        }
        for _ in m:
            seg_a.append(label)
            seg_b.append(label)
        left_a += [x for i, x in enumerate(xa) if i not in {p[0] for p in m}]
        left_b += [y for j, y in enumerate(xb) if j not in {p[1] for p in m}]
    cross = assign(left_a, left_b, t, lambda x, y: x[0] != y[0])
    for i, j, _ in cross:
        seg_a.append(left_a[i][0])
        seg_b.append(left_b[j][0])
    miss = 0
    for i, x in enumerate(left_a):
        if i not in {p[0] for p in cross}:
            seg_a.append(x[0])
            seg_b.append("none")
            miss += 1
    for j, y in enumerate(left_b):
        if j not in {p[1] for p in cross}:
            seg_a.append("none")
            seg_b.append(y[0])
            miss += 1
    agreement = sum(v["tp"] for v in per_label.values())
    total = agreement + len(cross) + miss
    segment = {
        "agreement": agreement, "disagreement": len(cross), "miss": miss,
        "percent": agreement / total if total else None,
        "kappa": num(cohen_kappa_score(seg_a, seg_b)) if seg_a else None,
    }
    return per_label, segment


def runs(v):
    idx = np.flatnonzero(np.diff(np.concatenate([[0], v, [0]])))
    return list(zip(idx[::2], idx[1::2]))


def matrix(tasks, labels, t, machines=frozenset()):
    """The annotator matrix over every task: Cohen's kappa of each pair over the concatenated
    cells of the tasks both annotated (per label and pooled); each annotator against the
    consensus of the others (frames at least half of them marked), kappa and interval F1."""
    order = []
    for task in tasks:
        for c in task["coders"]:
            if c not in order:
                order.append(c)
    pairs = []
    for a, b in itertools.combinations(order, 2):
        shared = [x for x in tasks if a in x["coders"] and b in x["coders"]]
        entry = {"a": a, "b": b, "tasks": len(shared), "labels": {}, "pooled": None}
        if shared:
            for label in labels:
                va = np.concatenate([vector(x["spans"][a], label, x["n"]) for x in shared])
                vb = np.concatenate([vector(x["spans"][b], label, x["n"]) for x in shared])
                entry["labels"][label] = num(cohen_kappa_score(va, vb))
            va = np.concatenate([vector(x["spans"][a], lab, x["n"]) for x in shared for lab in labels])
            vb = np.concatenate([vector(x["spans"][b], lab, x["n"]) for x in shared for lab in labels])
            entry["pooled"] = num(cohen_kappa_score(va, vb))
        pairs.append(entry)
    versus = []
    for c in order:
        people = lambda x: [o for o in x["coders"] if o not in machines]
        mine = [x for x in tasks if c in x["coders"] and [o for o in people(x) if o != c]]
        mv, cv = {lab: [] for lab in labels}, {lab: [] for lab in labels}
        tp = fp = fn = 0
        for x in mine:
            others = [o for o in people(x) if o != c]
            agreed = []
            for lab in labels:
                votes = sum(vector(x["spans"][o], lab, x["n"]) for o in others)
                cons = ((votes > 0) & (2 * votes >= len(others))).astype(int)
                mv[lab].append(vector(x["spans"][c], lab, x["n"]))
                cv[lab].append(cons)
                agreed += [(lab, s, e) for s, e in runs(cons)]
            per_label, _ = pair(x["spans"][c], agreed, labels, t)
            tp += sum(v["tp"] for v in per_label.values())
            fp += sum(v["fp"] for v in per_label.values())
            fn += sum(v["fn"] for v in per_label.values())
        entry = {"annotator": c, "tasks": len(mine), "labels": {}}
        for lab in labels:
            entry["labels"][lab] = num(cohen_kappa_score(np.concatenate(mv[lab]), np.concatenate(cv[lab])))
        entry["pooled"] = num(cohen_kappa_score(
            np.concatenate([v for lab in labels for v in mv[lab]]),
            np.concatenate([v for lab in labels for v in cv[lab]])))
        entry["f1"] = (2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) else None
        entry["tp"], entry["fp"], entry["fn"] = tp, fp, fn
        versus.append(entry)
    return {"pairs": pairs, "versus_others": versus}


def side(pairs, labels, t):
    """pairs: (reference spans, measured spans, n, fps) per comparison."""
    va = {lab: [] for lab in labels}
    vb = {lab: [] for lab in labels}
    tp = fp = fn = count = 0
    total = 0.0
    for sa, sb, n, fps in pairs:
        for lab in labels:
            va[lab].append(vector(sa, lab, n))
            vb[lab].append(vector(sb, lab, n))
            xa = [x for x in sa if x[0] == lab]
            xb = [x for x in sb if x[0] == lab]
            m = assign(xa, xb, t, lambda x, y: True)
            tp, fp, fn = tp + len(m), fp + len(xb) - len(m), fn + len(xa) - len(m)
            for i, j, _ in m:
                total += (abs(xa[i][1] - xb[j][1]) + abs(xa[i][2] - xb[j][2])) / fps
                count += 2
    out = {"labels": {lab: num(cohen_kappa_score(np.concatenate(va[lab]), np.concatenate(vb[lab])))
                      for lab in labels}}
    out["pooled"] = num(cohen_kappa_score(np.concatenate([v for lab in labels for v in va[lab]]),
                                          np.concatenate([v for lab in labels for v in vb[lab]])))
    out["tp"], out["fp"], out["fn"] = tp, fp, fn
    out["f1"] = (2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) else None
    out["boundary_mean_s"] = total / count if count else None
    out["comparisons"] = len(pairs)
    return out


def machine(tasks, labels, t):
    human_pairs, by_version = [], {}
    for x in tasks:
        humans = [c for c in x["coders"] if c not in x["machines"]]
        for a, b in itertools.combinations(humans, 2):
            human_pairs.append((x["spans"][a], x["spans"][b], x["n"], x["fps"]))
        agreed = []
        for lab in labels:
            votes = sum(vector(x["spans"][h], lab, x["n"]) for h in humans)
            agreed += [(lab, s, e) for s, e in runs((2 * votes > len(humans)).astype(int))]
        for v in x["machines"]:
            by_version.setdefault(v, []).append((agreed, x["spans"][v], x["n"], x["fps"]))
    return {"humans": side(human_pairs, labels, t),
            "machines": {v: side(p, labels, t) for v, p in by_version.items()}}


def predictions_of(task):
    """The latest prediction per model version, PPI's consensus ones left out."""
    latest = {}
    for p in task.get("predictions") or []:
        if not isinstance(p, dict) or str(p.get("model_version", "")).startswith("consensus-"):
            continue
        v = p["model_version"]
        if v not in latest or (p.get("updated_at"), p["id"]) > (latest[v].get("updated_at"), latest[v]["id"]):
            latest[v] = p
    return latest


def main():
    export = json.load(open(sys.argv[1]))
    labels = sys.argv[2].split(",")
    t = float(sys.argv[3])
    with_predictions = len(sys.argv) > 4 and sys.argv[4] == "--with-predictions"
    machines = set()
    started = time.perf_counter()
    result = {}
    tasks = []
    for task in export:
        n, fps = task["data"]["frames"], task["data"]["fps"]
        anns = [a for a in task["annotations"] if not a.get("was_cancelled")]
        coders = [str(a["completed_by"]) for a in anns]
        spans = {str(a["completed_by"]): spans_of(a) for a in anns}
        out = {"labels": {}, "pairs": []}
        for label in labels:
            vecs = [vector(spans[c], label, n) for c in coders]
            k = kappas(vecs)
            k["frame_f1"] = frame_f1(spans, label, fps, coders)
            out["labels"][label] = k
        pooled = [np.concatenate([vector(spans[c], lab, n) for lab in labels]) for c in coders]
        out["pooled"] = kappas(pooled)
        out["pooled"]["frame_f1"] = frame_f1_pooled(spans, labels, n, coders)
        for a, b in itertools.combinations(coders, 2):
            per_label, segment = pair(spans[a], spans[b], labels, t)
            out["pairs"].append({"a": a, "b": b, "labels": per_label, "segment": segment})
        result[str(task["id"])] = out
        entry = {"coders": list(coders), "spans": dict(spans), "n": n, "fps": fps, "machines": []}
        if with_predictions:
            for v, p in predictions_of(task).items():
                entry["coders"].append(v)
                entry["spans"][v] = spans_of(p)
                entry["machines"].append(v)
                machines.add(v)
        tasks.append(entry)
    result["matrix"] = matrix(tasks, labels, t, frozenset(machines))
    if with_predictions:
        result["machine"] = machine(tasks, labels, t)
    if os.environ.get("GOLDEN_TIMING"):
        # For the benchmark: the computation alone, without imports and reading the file.
        print(json.dumps({"seconds": time.perf_counter() - started}), file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

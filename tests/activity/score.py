"""Scores PPI's questions, wait times and activity bins against a synthetic lesson's truth.

    python score.py truth.json transcript.json

Prints JSON:
- `question_precision`, `question_recall`, `question_f1`: a detected question matches a truth
  question when their times overlap (each truth question at most once);
- `type_accuracy`: open/closed right among the matched;
- `wt1_mae`: mean absolute error of WT1 over matched questions that both sides timed, seconds;
- `bin_accuracy`: bins whose activity is the planned one, and both lists of bins.
"""
import json
import sys

truth = json.load(open(sys.argv[1]))
ppi = json.load(open(sys.argv[2]))
found = ppi.get("questions", [])
waits = {round(w["question_at"], 3): w for w in ppi.get("wait_times", {}).get("per_question", [])}
used = set()
matched = []
for q in found:
    for i, t in enumerate(truth["questions"]):
        if i not in used and min(q["end"], t["end"]) - max(q["start"], t["start"]) > 0:
            used.add(i)
            matched.append((q, t, truth["waits"][i]))
            break
p = len(matched) / max(1, len(found))
r = len(matched) / max(1, len(truth["questions"]))
errors = [abs(waits[round(q["start"], 3)]["wt1"] - w["wt1"]) for q, t, w in matched
          if w["wt1"] is not None and waits.get(round(q["start"], 3), {}).get("wt1") is not None]
bins = [b["activity"] for b in ppi.get("bins", [])]
# Lessons made before the class was named teacher-talk call it lecture.
truth["bins"] = ["teacher-talk" if b == "lecture" else b for b in truth["bins"]]
print(json.dumps({
    "questions_truth": len(truth["questions"]),
    "questions_found": len(found),
    "question_precision": p,
    "question_recall": r,
    "question_f1": 2 * p * r / (p + r) if p + r else 0.0,
    "type_accuracy": sum(q["type"] == t["type"] for q, t, _ in matched) / max(1, len(matched)),
    "wt1_mae": sum(errors) / len(errors) if errors else None,
    "wt1_timed": len(errors),
    "bin_accuracy": sum(a == b for a, b in zip(bins, truth["bins"])) / len(truth["bins"]),
    "bins": bins,
    "bins_truth": truth["bins"],
}))

"""A synthetic lesson with a known activity per 2-minute bin, known questions and known waits,
for issue 26's targets. It uses the voices, the synthesis and the classroom noise of
tests/speakers/make_lesson.py.

    python make_lesson.py OUT_DIR --lang en|ru --seed 1 [--snr 20]

The lesson has five 2-minute bins, one of each activity in an order set by the seed:
- teacher talk: a lecture, with short pauses;
- discussion: teacher questions (open and closed, from fixed lists), a planned pause of
  0.5-6 s, then a student's answer, and feedback;
- group work: three or four students talk over each other, and the teacher is silent;
- quiet work: mostly silence, with a remark or two from the teacher;
- student talk: one student presents at length, and the teacher says a word or two.

Writes OUT_DIR/lesson.wav and OUT_DIR/truth.json with (`utterances`: what was said, for
tests/suggestions/oracle.py):
- `bins`: the activity of each bin;
- `questions`: each teacher question, with start, end and type;
- `waits`: for each question, the planned WT1.
"""
import argparse
import json
import os
import random
import sys
import tempfile

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "speakers"))
import make_lesson as base  # noqa: E402

RATE = base.RATE
BIN = 120.0
QUESTIONS = {
    "en": {
        "open": [
            "Why do we need a common denominator?",
            "How would you explain this to a younger student?",
            "What do you think happens if we double the denominator?",
            "Why is one half bigger than one third?",
            "How can we check our answer?",
        ],
        "closed": [
            "What is one half plus one quarter?",
            "How many quarters make a whole?",
            "Is three eighths smaller than one half?",
            "Who can read the next number?",
            "Which fraction is bigger, two thirds or three fifths?",
        ],
    },
    "ru": {
        "open": [
            "Почему нам нужен общий знаменатель?",
            "Как бы вы объяснили это младшему ученику?",
            "Как вы думаете, что будет, если удвоить знаменатель?",
            "Почему одна вторая больше одной третьей?",
            "Зачем проверять ответ?",
        ],
        "closed": [
            "Сколько будет одна вторая плюс одна четвёртая?",
            "Сколько четвертей в целом?",
            "Кто прочитает следующее число?",
            "Какая дробь больше, две третьих или три пятых?",
            "Где на числовой прямой одна вторая?",
        ],
    },
}
PRESENTATION = {
    "en": [
        "Our group measured the classroom and the corridor.",
        "The classroom is eight metres long and six metres wide.",
        "So the area is forty eight square metres.",
        "The corridor is longer but much narrower.",
        "We think the classroom is bigger, because forty eight is more than thirty.",
    ],
    "ru": [
        "Наша группа измерила класс и коридор.",
        "Класс длиной восемь метров и шириной шесть метров.",
        "Значит, площадь сорок восемь квадратных метров.",
        "Коридор длиннее, но гораздо уже.",
        "Мы думаем, что класс больше, потому что сорок восемь больше тридцати.",
    ],
}


def lesson(lang, seed, tmp):
    rng = random.Random(seed)
    text = base.TEXT[lang]
    track = np.zeros(int(6 * BIN * RATE), dtype=np.float32)
    turns, questions, waits = [], [], []

    def put(t, speaker, voice, sentence, limit):
        x = base.say(lang, voice, sentence, tmp)
        if t + len(x) / RATE > limit:
            return None
        s = int(t * RATE)
        track[s : s + len(x)] += x
        end = t + len(x) / RATE
        turns.append({"start": round(t, 3), "end": round(end, 3), "speaker": speaker,
                      "role": "teacher" if speaker == "T" else "student", "text": sentence})
        return end

    activities = ["teacher-talk", "discussion", "group-work", "quiet-work", "student-talk"]
    rng.shuffle(activities)
    for b, activity in enumerate(activities):
        t, limit = b * BIN + 0.5, (b + 1) * BIN - 0.5
        if activity == "teacher-talk":
            while (e := put(t, "T", base.TEACHER, rng.choice(text["lecture"]), limit)) is not None:
                t = e + rng.uniform(0.2, 0.7)
        elif activity == "discussion":
            kinds = ["open", "closed"] * 4
            rng.shuffle(kinds)
            for kind in kinds:
                q = rng.choice(QUESTIONS[lang][kind])
                e = put(t, "T", base.TEACHER, q, limit)
                if e is None:
                    break
                questions.append({"start": round(t, 3), "end": round(e, 3), "type": kind, "text": q})
                wait = rng.uniform(0.5, 6.0)
                k = rng.randrange(len(base.STUDENTS))
                a = put(e + wait, f"S{k + 1}", base.STUDENTS[k], rng.choice(text["answer"]), limit)
                if a is None:
                    waits.append({"question_at": round(t, 3), "wt1": None})
                    break
                waits.append({"question_at": round(t, 3), "wt1": round(wait, 3)})
                f = put(a + rng.uniform(0.4, 1.2), "T", base.TEACHER, rng.choice(text["feedback"]), limit)
                if f is None:
                    break
                t = f + rng.uniform(0.5, 1.5)
        elif activity == "group-work":
            # Three or four students at once, each taking up again after short pauses.
            for k in rng.sample(range(len(base.STUDENTS)), rng.choice([3, 4])):
                s = t + rng.uniform(0.0, 3.0)
                while (e := put(s, f"S{k + 1}", base.STUDENTS[k], rng.choice(text["answer"] + text["lecture"]), limit)) is not None:
                    s = e + rng.uniform(0.3, 2.0)
        elif activity == "quiet-work":
            for at in sorted(rng.sample(range(5, 110, 10), 2)):
                put(b * BIN + at, "T", base.TEACHER, rng.choice(text["feedback"]), limit)
        else:  # student talk
            k = rng.randrange(len(base.STUDENTS))
            i = 0
            while (e := put(t, f"S{k + 1}", base.STUDENTS[k], PRESENTATION[lang][i % 5], limit)) is not None:
                t = e + rng.uniform(0.3, 0.8)
                i += 1
                if i % 5 == 0:
                    f = put(t, "T", base.TEACHER, rng.choice(text["feedback"]), limit)
                    if f is None:
                        break
                    t = f + 0.5
    duration = 5 * BIN
    return track[: int(duration * RATE)], turns, questions, waits, activities, duration, rng


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lang", choices=["en", "ru"], default="en")
    ap.add_argument("--snr", type=float, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        speech, turns, questions, waits, activities, duration, rng = lesson(a.lang, a.seed, tmp)
        n = base.noise(duration, tmp, a.lang, rng)[: len(speech)]
    active = np.zeros(len(speech), dtype=bool)
    for u in turns:
        active[int(u["start"] * RATE) : int(u["end"] * RATE)] = True
    gain = np.sqrt(np.mean(speech[active] ** 2) / np.mean(n**2) / 10 ** (a.snr / 10))
    mix = speech + gain * n
    mix *= 0.5 / max(np.abs(mix).max(), 1e-9)
    sf.write(os.path.join(a.out, "lesson.wav"), mix, RATE, subtype="PCM_16")
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump({"duration": duration, "lang": a.lang, "bins": activities, "questions": questions,
                   "waits": waits, "turns": sorted(turns, key=lambda u: u["start"]),
                   "utterances": sorted(turns, key=lambda u: u["start"])}, f, indent=1,
                  ensure_ascii=False)


if __name__ == "__main__":
    main()

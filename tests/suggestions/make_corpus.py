"""A held-out corpus of synthetic lessons with known pattern intervals, for issue 26's
suggestions. Each lesson has four stretches, one per pattern of tests/fixtures/patterns.xlsx,
in an order set by the seed, each 70-130 s long, with 2-4 s between them:

- Lecture: the teacher explains (the speaker lessons' lecture sentences), short pauses;
- Questioning: teacher questions, a wait of 0.5-6 s, a student's answer, feedback;
- GroupWork: three or four students talk over each other, the teacher silent;
- Demonstration: the teacher shows a procedure ("Watch…", "Look…"), pausing to do it.

    python make_corpus.py OUT_DIR [--lessons 10] [--seed 100] [--ru 4] [--snr 20]

Writes OUT_DIR/lesson-NN/lesson.wav and truth.json with `duration`, `lang`, `patterns`
([{label, start, end}]: what an annotator marks, from the first voice to the last of each
stretch) and `utterances` ([{start, end, speaker, text}]: what was said, for an oracle
transcript). The last `--ru` lessons are Russian. Uses the voices, the synthesis and the
classroom noise of tests/speakers/make_lesson.py.
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
DEMONSTRATION = {
    "en": [
        "Watch how I fold the paper into two equal halves.",
        "Look, now I fold it again, and we have four parts.",
        "Watch carefully, I colour one of the four parts.",
        "Look at the scale, I put one quarter of the weights on it.",
        "Now watch what happens when I cut the strip into eight pieces.",
        "Look, two of these pieces cover exactly one quarter.",
    ],
    "ru": [
        "Смотрите, я складываю лист пополам.",
        "Смотрите, теперь я складываю его ещё раз, и получается четыре части.",
        "Смотрите внимательно, я закрашиваю одну из четырёх частей.",
        "Посмотрите на весы, я кладу на них четверть гирь.",
        "Смотрите, что будет, когда я разрежу полоску на восемь частей.",
        "Смотрите, два таких кусочка закрывают ровно одну четверть.",
    ],
}
QUESTIONS = {
    "en": [
        "Why do we need a common denominator?",
        "What is one half plus one quarter?",
        "How many quarters make a whole?",
        "How can we check our answer?",
        "What do you think happens if we double the denominator?",
        "Why is one half bigger than one third?",
    ],
    "ru": [
        "Почему нам нужен общий знаменатель?",
        "Сколько будет одна вторая плюс одна четвёртая?",
        "Как проверить наш ответ?",
        "Как вы думаете, что будет, если удвоить знаменатель?",
        "Почему одна вторая больше одной третьей?",
        "Кто прочитает следующее число?",
    ],
}
PATTERNS = ["Lecture", "Questioning", "GroupWork", "Demonstration"]


def lesson(lang, seed, tmp):
    rng = random.Random(seed)
    text = base.TEXT[lang]
    lengths = [rng.uniform(70, 130) for _ in PATTERNS]
    track = np.zeros(int((sum(lengths) + 40) * RATE), dtype=np.float32)
    said = []

    def put(t, speaker, voice, sentence, limit):
        x = base.say(lang, voice, sentence, tmp)
        if t + len(x) / RATE > limit:
            return None
        s = int(t * RATE)
        track[s : s + len(x)] += x
        said.append({"start": round(t, 3), "end": round(t + len(x) / RATE, 3), "speaker": speaker,
                     "text": sentence})
        return t + len(x) / RATE

    order = PATTERNS[:]
    rng.shuffle(order)
    patterns = []
    t0 = 1.0
    for label, length in zip(order, lengths):
        first = len(said)
        t, limit = t0, t0 + length
        if label == "Lecture":
            while (e := put(t, "T", base.TEACHER, rng.choice(text["lecture"]), limit)) is not None:
                t = e + rng.uniform(0.2, 0.8)
        elif label == "Demonstration":
            while (e := put(t, "T", base.TEACHER, rng.choice(DEMONSTRATION[lang]), limit)) is not None:
                t = e + rng.uniform(1.0, 3.0)
        elif label == "Questioning":
            while True:
                e = put(t, "T", base.TEACHER, rng.choice(QUESTIONS[lang]), limit)
                if e is None:
                    break
                k = rng.randrange(len(base.STUDENTS))
                a = put(e + rng.uniform(0.5, 6.0), f"S{k + 1}", base.STUDENTS[k],
                        rng.choice(text["answer"]), limit)
                if a is None:
                    break
                f = put(a + rng.uniform(0.4, 1.2), "T", base.TEACHER, rng.choice(text["feedback"]), limit)
                if f is None:
                    break
                t = f + rng.uniform(0.5, 1.5)
        else:  # group work
            for k in rng.sample(range(len(base.STUDENTS)), rng.choice([3, 4])):
                s = t + rng.uniform(0.0, 3.0)
                while (e := put(s, f"S{k + 1}", base.STUDENTS[k],
                                rng.choice(text["answer"] + text["lecture"]), limit)) is not None:
                    s = e + rng.uniform(0.3, 2.0)
        mine = said[first:]
        start, end = min(u["start"] for u in mine), max(u["end"] for u in mine)
        patterns.append({"label": label, "start": round(start, 3), "end": round(end, 3)})
        t0 = end + rng.uniform(2.0, 4.0)
    duration = round(t0 + 1.0, 3)
    return track[: int(duration * RATE)], said, patterns, duration, rng


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lessons", type=int, default=10)
    ap.add_argument("--ru", type=int, default=4)
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--snr", type=float, default=20)
    a = ap.parse_args()
    for i in range(a.lessons):
        lang = "ru" if i >= a.lessons - a.ru else "en"
        out = os.path.join(a.out, f"lesson-{i + 1:02}")
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            speech, said, patterns, duration, rng = lesson(lang, a.seed + i, tmp)
            n = base.noise(duration, tmp, lang, rng)[: len(speech)]
        active = np.zeros(len(speech), dtype=bool)
        for u in said:
            active[int(u["start"] * RATE) : int(u["end"] * RATE)] = True
        gain = np.sqrt(np.mean(speech[active] ** 2) / np.mean(n**2) / 10 ** (a.snr / 10))
        mix = speech + gain * n
        mix *= 0.5 / max(np.abs(mix).max(), 1e-9)
        sf.write(os.path.join(out, "lesson.wav"), mix, RATE, subtype="PCM_16")
        with open(os.path.join(out, "truth.json"), "w") as f:
            json.dump({"duration": duration, "lang": lang, "patterns": patterns,
                       "utterances": sorted(said, key=lambda u: u["start"])}, f, indent=1,
                      ensure_ascii=False)


if __name__ == "__main__":
    main()

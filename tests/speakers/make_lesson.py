"""A synthetic lesson with known speakers: a teacher and four students, each an espeak-ng voice of
its own (variant and pitch), in English or Russian, with classroom noise mixed in.

    python make_lesson.py OUT_DIR --lang en|ru --seconds 180 --snr 15 --seed 1

Writes OUT_DIR/lesson.wav (16 kHz mono) and OUT_DIR/truth.json: the duration and every
utterance as {start, end, speaker, role}. The lesson follows a classroom's shape: teacher
monologues of one to several sentences (up to ~40 s), questions, a pause of 0.5-3 s, short
student answers (1-6 s), a second student now and then (sometimes talking over the first),
students who break in on the teacher, and feedback. Each utterance is synthesised with espeak-ng
and resampled with sox; its silent edges are trimmed so the truth is tight. The noise is pink
noise from sox's synth with a murmur of other voices under it (low-passed, reverberant espeak
speech, also through sox), scaled so that speech stands `--snr` dB above it.
"""
import argparse
import json
import os
import random
import subprocess
import tempfile

import numpy as np
import soundfile as sf

RATE = 16000
TEXT = {
    "en": {
        "lecture": [
            "Today we are going to talk about fractions and how we use them every day.",
            "A fraction shows a part of a whole, like a slice of a pizza.",
            "The number on top is called the numerator.",
            "The number at the bottom is called the denominator.",
            "When the denominators are the same, we simply add the numerators.",
            "Look at the board, I will draw three equal parts.",
            "Let us remember what we learned about division last week.",
            "This is a very important idea, so please write it down in your notebooks.",
            "If we cut the cake into eight pieces, each piece is one eighth.",
            "Now I want you to think carefully before you answer.",
            "Equivalent fractions name the same amount in different ways.",
            "We can multiply the top and the bottom by the same number.",
        ],
        "question": [
            "Who can tell me what a fraction is?",
            "What is one half plus one quarter?",
            "Why do we need a common denominator?",
            "Can anyone give me an example from home?",
            "How many quarters make a whole?",
            "What do you think happens if we double the denominator?",
        ],
        "answer": [
            "It is a part of a whole.",
            "Three quarters.",
            "Because the pieces must be the same size.",
            "Yes.",
            "I think it gets smaller.",
            "Four quarters make one whole.",
            "When we share a pizza with my brother.",
            "I am not sure, maybe two?",
            "Because you cannot add different pieces.",
        ],
        "feedback": ["Very good.", "Exactly, well done.", "Not quite, try again.", "Good thinking."],
    },
    "ru": {
        "lecture": [
            "Сегодня мы поговорим о дробях и о том, как мы используем их каждый день.",
            "Дробь показывает часть целого, например кусок пиццы.",
            "Число сверху называется числителем.",
            "Число снизу называется знаменателем.",
            "Если знаменатели одинаковые, мы просто складываем числители.",
            "Посмотрите на доску, я нарисую три равные части.",
            "Давайте вспомним, что мы узнали о делении на прошлой неделе.",
            "Это очень важная мысль, пожалуйста, запишите её в тетради.",
            "Если разрезать торт на восемь частей, каждая часть будет одной восьмой.",
            "Теперь я хочу, чтобы вы подумали, прежде чем отвечать.",
            "Равные дроби называют одно и то же количество по-разному.",
            "Можно умножить числитель и знаменатель на одно и то же число.",
        ],
        "question": [
            "Кто может сказать, что такое дробь?",
            "Сколько будет одна вторая плюс одна четвёртая?",
            "Зачем нам нужен общий знаменатель?",
            "Кто может привести пример из жизни?",
            "Сколько четвертей в целом?",
            "Как вы думаете, что будет, если удвоить знаменатель?",
        ],
        "answer": [
            "Это часть целого.",
            "Три четверти.",
            "Потому что части должны быть одинаковыми.",
            "Да.",
            "Я думаю, она станет меньше.",
            "Четыре четверти.",
            "Когда мы делим пиццу с братом.",
            "Не знаю, может быть две?",
            "Потому что нельзя сложить разные части.",
        ],
        "feedback": ["Очень хорошо.", "Верно, молодец.", "Не совсем, попробуй ещё раз.", "Хорошая мысль."],
    },
}
# (variant, pitch, speed): a low teacher voice, and students who differ from it and each other.
TEACHER = ("m1", 40, 150)
STUDENTS = [("f5", 90, 170), ("Andy", 60, 165), ("Alicia", 80, 175), ("klatt", 65, 160)]


def run(args, **kw):
    # sox dithers (randomly) when it writes 16-bit audio: -R makes every run the same lesson.
    if args[0] == "sox" and args[1] != "-R":
        args = ["sox", "-R"] + args[1:]
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def say(lang, voice, text, tmp):
    variant, pitch, speed = voice
    raw = os.path.join(tmp, "say.wav")
    out = os.path.join(tmp, "say16.wav")
    run(["espeak-ng", "-v", f"{'en-us' if lang == 'en' else 'ru'}+{variant}", "-p", str(pitch),
         "-s", str(speed), "-w", raw, text])
    run(["sox", raw, "-r", str(RATE), "-c", "1", "-b", "16", out])
    x, _ = sf.read(out, dtype="float32")
    # Trim the silent edges: the truth starts and ends with the voice.
    loud = np.flatnonzero(np.abs(x) > 0.01)
    return x[loud[0] : loud[-1] + 1] if len(loud) else x


def noise(seconds, tmp, lang, rng):
    """Pink noise and a murmur of distant voices, unit RMS."""
    pink = os.path.join(tmp, "pink.wav")
    run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", pink, "synth", f"{seconds:.3f}",
         "pinknoise", "vol", "0.3"])
    n, _ = sf.read(pink, dtype="float32")
    babble = np.zeros_like(n)
    sentences = TEXT[lang]["lecture"] + TEXT[lang]["answer"]
    for v in [("m3", 50, 140), ("f2", 70, 150), ("m4", 55, 160)]:
        t = 0
        while t < len(babble):
            x = say(lang, v, rng.choice(sentences), tmp)
            end = min(len(babble), t + len(x))
            babble[t:end] += x[: end - t]
            t = end + int(rng.uniform(0.2, 1.5) * RATE)
    mixed = os.path.join(tmp, "babble.wav")
    far = os.path.join(tmp, "far.wav")
    sf.write(mixed, babble, RATE, subtype="PCM_16")
    run(["sox", mixed, far, "lowpass", "1200", "reverb", "60"])
    b, _ = sf.read(far, dtype="float32")
    b = np.resize(b, len(n))
    rms = lambda a: np.sqrt(np.mean(a**2)) + 1e-12
    return n / rms(n) + 0.5 * b / rms(b)


def lesson(lang, seconds, seed, tmp, overlap=0.4):
    rng = random.Random(seed)
    text = TEXT[lang]
    track = np.zeros(int((seconds + 60) * RATE), dtype=np.float32)
    truth = []

    def put(t, speaker, voice, sentence):
        x = say(lang, voice, sentence, tmp)
        s = int(t * RATE)
        track[s : s + len(x)] += x
        truth.append({"start": round(t, 3), "end": round(t + len(x) / RATE, 3), "speaker": speaker,
                      "role": "teacher" if speaker == "T" else "student"})
        return t + len(x) / RATE

    t = 1.0
    while t < seconds - 10:
        # A monologue: 1-7 sentences, short pauses between them; now and then a student breaks in.
        for _ in range(rng.choice([1, 1, 2, 3, 4, 7])):
            t = put(t, "T", TEACHER, rng.choice(text["lecture"])) + rng.uniform(0.2, 0.6)
        if rng.random() < 0.15 + 0.5 * (overlap - 0.4):
            k = rng.randrange(len(STUDENTS))
            t = put(t - rng.uniform(0.5, 1.0), f"S{k + 1}", STUDENTS[k], rng.choice(text["answer"]))
            t += rng.uniform(0.3, 1.0)
        if rng.random() < 0.7:
            t = put(t, "T", TEACHER, rng.choice(text["question"])) + rng.uniform(0.5, 3.0)
            k = rng.randrange(len(STUDENTS))
            t = put(t, f"S{k + 1}", STUDENTS[k], rng.choice(text["answer"]))
            if rng.random() < 0.35 + (overlap - 0.4):
                j = (k + rng.randrange(1, len(STUDENTS))) % len(STUDENTS)
                # The second student waits, or talks over the first.
                start = t - 0.6 if rng.random() < overlap else t + rng.uniform(0.3, 1.0)
                t = put(start, f"S{j + 1}", STUDENTS[j], rng.choice(text["answer"]))
            t = put(t + rng.uniform(0.3, 1.5), "T", TEACHER, rng.choice(text["feedback"]))
        t += rng.uniform(0.5, 2.5)
    duration = round(t + 1.0, 3)
    track = track[: int(duration * RATE)]
    return track, truth, duration, rng


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lang", choices=["en", "ru"], default="en")
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--snr", type=float, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--overlap", type=float, default=0.4,
                    help="how often a second student talks over the first (more break-ins too)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        speech, truth, duration, rng = lesson(a.lang, a.seconds, a.seed, tmp, a.overlap)
        n = noise(duration, tmp, a.lang, rng)[: len(speech)]
    active = np.zeros(len(speech), dtype=bool)
    for u in truth:
        active[int(u["start"] * RATE) : int(u["end"] * RATE)] = True
    p_speech = np.mean(speech[active] ** 2)
    gain = np.sqrt(p_speech / np.mean(n**2) / 10 ** (a.snr / 10))
    mix = speech + gain * n
    mix *= 0.5 / max(np.abs(mix).max(), 1e-9)
    sf.write(os.path.join(a.out, "lesson.wav"), mix, RATE, subtype="PCM_16")
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump({"duration": duration, "lang": a.lang, "snr": a.snr, "seed": a.seed,
                   "turns": sorted(truth, key=lambda u: u["start"])}, f, indent=1)


if __name__ == "__main__":
    main()

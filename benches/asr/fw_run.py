#!/usr/bin/env python3
"""faster-whisper anchor: fw_run.py MODEL_DIR AUDIO OUT.json BEAM THREADS (int8, CPU, auto language)."""
import json, sys
from faster_whisper import WhisperModel

model_dir, audio, out, beam, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)
segments, info = model.transcribe(audio, beam_size=beam, language=None)
segs = [{"start": s.start, "end": s.end, "text": s.text} for s in segments]
json.dump({"language": info.language, "segments": segs}, open(out, "w"), ensure_ascii=False)

"""An oracle transcript of a synthetic lesson: what was said (truth.json's utterances, one
segment each, as if Whisper were perfect) with the speaker turns PPI found in its audio
(`ppi speakers --format json`), in the shape `ppi transcribe --format json` writes. It keeps
the suggestion measurement about suggestions: the words are right, the structure is PPI's.

    python oracle.py truth.json turns.json > transcript.json
"""
import json
import sys

truth = json.load(open(sys.argv[1]))
found = json.load(open(sys.argv[2]))
lang = truth["lang"]
segments = [{"start": u["start"], "end": u["end"], "text": " " + u["text"], "language": lang,
             "avg_logprob": -0.2, "no_speech_prob": 0.01} for u in truth["utterances"]]
speech = sum(u["end"] - u["start"] for u in truth["utterances"])
out = {"language": lang, "languages": [[lang, speech]], "model": "oracle",
       "duration": truth["duration"], "segments": segments}
for key in ("speakers", "roles", "teacher_by", "turns"):
    if key in found:
        out[key] = found[key]
json.dump(out, sys.stdout, ensure_ascii=False)

"""The speaker models as their authors run them, for comparison with PPI's implementation.

    python reference.py AUDIO.wav FIXTURES_DIR 'WINDOWS_JSON'

Prints JSON: `probs`, Silero VAD's speech probability per 32-ms chunk (its TorchScript model,
`OnnxWrapper.audio_forward`'s chunking: 512 samples with 64 of context, state carried), and
`embeddings`, Resemblyzer's `VoiceEncoder.forward` (torch's LSTM on the checkpoint's weights)
on `librosa.feature.melspectrogram` frames of each window brought to -30 dBFS.
"""
import json
import sys

import librosa
import numpy as np
import soundfile as sf
import torch

wav, sr = sf.read(sys.argv[1], dtype="float32")
assert sr == 16000
fixtures = sys.argv[2]
windows = json.loads(sys.argv[3])
torch.set_num_threads(1)

# Silero VAD: the TorchScript model, chunk after chunk with the previous 64 samples as context.
vad = torch.jit.load(f"{fixtures}/silero_vad.jit", map_location="cpu")
vad.reset_states()
x = torch.from_numpy(np.pad(wav, (0, -len(wav) % 512)))
probs = []
with torch.no_grad():
    for i in range(0, len(x), 512):
        probs.append(float(vad(x[i : i + 512].unsqueeze(0), 16000)))

# Resemblyzer: its checkpoint into torch's LSTM and Linear, as VoiceEncoder builds them.
state = torch.load(f"{fixtures}/pretrained.pt", map_location="cpu", weights_only=False)["model_state"]
lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)
linear = torch.nn.Linear(256, 256)
lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
embeddings = []
for start, end in windows:
    seg = wav[int(start * 16000) : int(end * 16000)].astype(np.float64)
    seg = seg * (10 ** (-30 / 20) / np.sqrt(np.mean(seg**2)))
    mel = librosa.feature.melspectrogram(y=seg.astype(np.float32), sr=16000, n_fft=400, hop_length=160, n_mels=40)
    frames = mel.astype(np.float32).T[: max(len(seg) // 160, 1)]
    with torch.no_grad():
        _, (hidden, _) = lstm(torch.from_numpy(frames).unsqueeze(0))
        e = torch.relu(linear(hidden[-1]))
        embeddings.append((e / e.norm(dim=1, keepdim=True))[0].tolist())
print(json.dumps({"probs": probs, "embeddings": embeddings}))

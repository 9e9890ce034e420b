#!/usr/bin/python3
"""Exports a PyTorch nn.Sequential of Linear and activation layers to a safetensors file that
ctnn::io::load_safetensors reads, and prints the matching ctnn::Seq declaration.

Needs only Debian's python3-torch (apt-get install python3-torch; run with /usr/bin/python3):
the safetensors format is written by hand, no `safetensors` package.

    # a model saved with torch.save(model) (the whole nn.Sequential)
    /usr/bin/python3 tools/torch_to_safetensors.py model.pt model.safetensors
    # a state_dict saved with torch.save(model.state_dict()): give the layers
    /usr/bin/python3 tools/torch_to_safetensors.py --layers "Linear(784,256),ReLU,Linear(256,10)" \\
        weights.pt model.safetensors
    # a freshly initialised model (PyTorch's default init, seeded), with test inputs and outputs
    /usr/bin/python3 tools/torch_to_safetensors.py --layers "Linear(13,17),Tanh,Linear(17,5)" --seed 1 \\
        --samples 8 --outputs small.txt small.safetensors

Supported layers: Linear (with or without bias), ReLU, Tanh, Sigmoid, LeakyReLU, ELU, PReLU, GELU,
Softmax. Dropout, Identity and Flatten compute
nothing at inference on flat inputs and are dropped (later positions are renumbered, as ctnn
sees them). A Linear without bias becomes ctnn::Linear<In, Out, ctnn::NoBias>.

--dtype F16, BF16 or F64 stores that type (ctnn converts it to float on load); the outputs
written by --outputs are then those of the model with its weights rounded to that type.
The --outputs text file holds "inputs ROWS COLS" and "outputs ROWS COLS", each followed by the
values, one row per line (lines starting with # are comments).
"""
import argparse
import json
import re
import struct
import sys

import torch
from torch import nn

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}
DROPPED = (nn.Dropout, nn.Identity, nn.Flatten)


def f32(x):
    """x rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def ratio_name(value, plain, default, templated, what):
    """ctnn spells a float parameter as a ratio in the type: templated<N,D>, with the smallest D
    whose float N/D equals the float value (in lowest terms, as the layer's cpp_name() prints
    it), or the plain name for PyTorch's default."""
    target = f32(value)
    for d in range(1, 100001):
        n = round(value * d)
        if f32(f32(n) / f32(d)) == target:
            if (n, d) == default:
                return plain, f"ctnn::{plain}"
            return f"{templated}<{n},{d}>", f"ctnn::{templated}<{n}, {d}>"
    sys.exit(f"error: {what} {value} is not a ratio N/D with D <= 100000")


def ctnn_layers(model):
    """[(signature token, C++ type, module or None)] for each ctnn layer of the model."""
    if not isinstance(model, nn.Sequential):
        sys.exit(f"error: expected an nn.Sequential, got {type(model).__name__}")
    out = []
    for i, m in enumerate(model):
        if isinstance(m, nn.Linear):
            no_bias = m.bias is None
            out.append((f"Linear<{m.in_features},{m.out_features}{',ctnn::NoBias' if no_bias else ''}>",
                        f"ctnn::Linear<{m.in_features}, {m.out_features}{', ctnn::NoBias' if no_bias else ''}>", m))
        elif isinstance(m, nn.PReLU):
            n = m.weight.numel()
            out.append((f"PReLU<{n}>", f"ctnn::PReLU<{n}>", m))
        elif isinstance(m, nn.GELU):
            if m.approximate != "none":
                sys.exit(f"error: layer {i} is GELU(approximate={m.approximate!r}); ctnn::GELU is the exact form")
            out.append(("GELU", "ctnn::GELU", None))
        elif isinstance(m, nn.Softmax):
            if m.dim not in (1, -1):
                sys.exit(f"error: layer {i} is Softmax(dim={m.dim}); ctnn::Softmax is over each sample (dim=1)")
            out.append(("Softmax", "ctnn::Softmax", None))
        elif isinstance(m, nn.ReLU):
            out.append(("ReLU", "ctnn::ReLU", None))
        elif isinstance(m, nn.Tanh):
            out.append(("Tanh", "ctnn::Tanh", None))
        elif isinstance(m, nn.Sigmoid):
            out.append(("Sigmoid", "ctnn::Sigmoid", None))
        elif isinstance(m, nn.LeakyReLU):
            out.append((*ratio_name(m.negative_slope, "LeakyReLU", (1, 100), "LeakyReLUSlope", "LeakyReLU slope"), None))
        elif isinstance(m, nn.ELU):
            out.append((*ratio_name(m.alpha, "ELU", (1, 1), "ELUAlpha", "ELU alpha"), None))
        elif isinstance(m, DROPPED):
            print(f"note: layer {i} ({type(m).__name__}) does nothing at inference; dropped, "
                  f"later layers renumbered", file=sys.stderr)
        else:
            sys.exit(f"error: layer {i} is {type(m).__name__}; ctnn supports Linear, ReLU, Tanh, Sigmoid, "
                     f"LeakyReLU, ELU, PReLU, GELU, Softmax (and drops Dropout, Identity, Flatten)")
    if not out or not isinstance(out[0][2], nn.Linear):
        sys.exit("error: a ctnn::Seq starts with a Linear layer")
    return out


def build(spec):
    """nn.Sequential from "Linear(13,17),Tanh,Linear(17,5)" (PyTorch names; LeakyReLU(0.2) too)."""
    layers = []
    for item in re.findall(r"\w+(?:\([^)]*\))?", spec):
        m = re.fullmatch(r"(\w+)(?:\(([^)]*)\))?", item)
        name, args = m.group(1), [a for a in (m.group(2) or "").split(",") if a.strip()]
        if name == "Linear" and len(args) == 2:
            layers.append(nn.Linear(int(args[0]), int(args[1])))
        elif name == "Linear" and len(args) == 3 and args[2].replace(" ", "") == "bias=False":
            layers.append(nn.Linear(int(args[0]), int(args[1]), bias=False))
        elif name == "Softmax" and not args:
            layers.append(nn.Softmax(dim=1))
        elif name == "PReLU" and len(args) <= 1:
            layers.append(nn.PReLU(int(args[0]) if args else 1))
        elif name in ("ReLU", "Tanh", "Sigmoid", "GELU") and not args:
            layers.append(getattr(nn, name)())
        elif name == "LeakyReLU" and len(args) <= 1:
            layers.append(nn.LeakyReLU(float(args[0]) if args else 0.01))
        elif name == "ELU" and len(args) <= 1:
            layers.append(nn.ELU(float(args[0]) if args else 1.0))
        else:
            sys.exit(f"error: cannot build {item!r} (Linear(in,out), Linear(in,out,bias=False), ReLU, Tanh, Sigmoid, "
                     f"LeakyReLU(slope), ELU(alpha), PReLU(slopes), GELU, Softmax)")
    return nn.Sequential(*layers)


def tensors_of(layers, dtype):
    """{"<position>.weight": tensor, ...} with ctnn's positions."""
    out = {}
    for position, (_, _, module) in enumerate(layers):
        if isinstance(module, nn.Linear):
            out[f"{position}.weight"] = module.weight.detach().to(dtype).contiguous()
            if module.bias is not None:
                out[f"{position}.bias"] = module.bias.detach().to(dtype).contiguous()
        elif isinstance(module, nn.PReLU):
            out[f"{position}.weight"] = module.weight.detach().to(dtype).contiguous()
    return out


def write_safetensors(path, tensors, metadata):
    """The format: u64 little-endian header length, JSON header, then the raw little-endian data."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in tensors.items():
        dtype = next(k for k, v in DTYPES.items() if v == t.dtype)
        # bfloat16 has no numpy view; its bits are the upper half of a float32.
        if t.dtype == torch.bfloat16:
            data = struct.pack(f"<{t.numel()}h", *t.view(torch.int16).reshape(-1).tolist())
        else:
            fmt = {"F32": "f", "F16": "e", "F64": "d"}[dtype]
            data = struct.pack(f"<{t.numel()}{fmt}", *t.reshape(-1).tolist())
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_outputs(path, model, dtype, samples, seed, note):
    """Seeded inputs and the model's float32 outputs, its weights rounded to `dtype` first."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))
        gen = torch.Generator().manual_seed(seed + 1)
        features = next(m for m in model if isinstance(m, nn.Linear)).in_features
        x = torch.rand(samples, features, generator=gen) * 4 - 2
        y = model(x)
    with open(path, "w") as f:
        f.write(f"# {note}\n")
        for name, t in (("inputs", x), ("outputs", y)):
            f.write(f"{name} {t.shape[0]} {t.shape[1]}\n")
            for row in t.tolist():
                f.write(" ".join(f"{v:.9g}" for v in row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="torch.save'd nn.Sequential, or a state_dict with --layers")
    ap.add_argument("output", help="the safetensors file to write")
    ap.add_argument("--layers", help='layer list, e.g. "Linear(13,17),Tanh,Linear(17,5)"')
    ap.add_argument("--seed", type=int, default=0, help="seed for a fresh model and the sample inputs")
    ap.add_argument("--dtype", choices=DTYPES, default="F32")
    ap.add_argument("--samples", type=int, default=8, help="rows of sample inputs for --outputs")
    ap.add_argument("--outputs", help="also write sample inputs and the model's outputs to this text file")
    args = ap.parse_args()
    torch.manual_seed(args.seed)

    if args.model:
        loaded = torch.load(args.model, map_location="cpu")
        if isinstance(loaded, nn.Module):
            model = loaded
        else:
            if not args.layers:
                sys.exit("error: the file holds a state_dict; give the architecture with --layers")
            model = build(args.layers)
            model.load_state_dict(loaded, strict=True)
    elif args.layers:
        model = build(args.layers)
    else:
        sys.exit("error: give a model file or --layers")
    model = model.float().eval()

    layers = ctnn_layers(model)
    signature = ",".join(token for token, _, _ in layers)
    write_safetensors(args.output, tensors_of(layers, DTYPES[args.dtype]),
                      {"format": "pt", "ctnn.signature": signature})
    if args.outputs:
        note = f"tools/torch_to_safetensors.py: {signature} dtype {args.dtype} seed {args.seed}"
        write_outputs(args.outputs, model, DTYPES[args.dtype], args.samples, args.seed, note)
    print(f"using Net = ctnn::Seq<{', '.join(cpp for _, cpp, _ in layers)}>;")


if __name__ == "__main__":
    main()

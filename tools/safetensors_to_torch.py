#!/usr/bin/python3
"""Loads a safetensors file written by ctnn (ctnn::io::save_safetensors, or
tools/torch_to_safetensors.py) into a PyTorch nn.Sequential, and can evaluate it.

Needs only Debian's python3-torch (run with /usr/bin/python3); the format is read by hand.

    # print the model and its tensors
    /usr/bin/python3 tools/safetensors_to_torch.py model.safetensors
    # print the outputs for inputs (one sample per line, or an "inputs ROWS COLS" section);
    # if the file also has an "outputs ROWS COLS" section, compare with it (exit 1 beyond --tolerance)
    /usr/bin/python3 tools/safetensors_to_torch.py model.safetensors --inputs samples.txt
    # save the nn.Sequential for PyTorch code: torch.load("model.pt")
    /usr/bin/python3 tools/safetensors_to_torch.py model.safetensors --save-module model.pt

The layers come from the "ctnn.signature" metadata ctnn writes ("Linear<784,256>,ReLU,...");
give --layers in the same form for a file without it. Loading is strict, as in ctnn: every
tensor present with its shape, no others (load_state_dict(strict=True)), offsets that tile the
data exactly.
"""
import argparse
import ast
import json
import operator
import re
import struct
import sys

import torch
from torch import nn

FORMATS = {"F32": ("f", 4), "F16": ("e", 2), "F64": ("d", 8), "BF16": ("h", 2)}


def read_safetensors(path):
    """(tensors as float32, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        sys.exit(f"error: {path}: truncated ({len(raw)} bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > 100_000_000 or 8 + n > len(raw):
        sys.exit(f"error: {path}: header length {n} does not fit the file ({len(raw)} bytes)")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, spans = {}, []
    for name, entry in header.items():
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in FORMATS:
            sys.exit(f"error: {path}: tensor {name!r}: dtype {dtype} not supported (F32, F16, BF16, F64)")
        fmt, size = FORMATS[dtype]
        count = 1
        for d in shape:
            count *= d
        if end - begin != count * size or end > len(data):
            sys.exit(f"error: {path}: tensor {name!r}: data_offsets {[begin, end]} do not fit shape {shape} "
                     f"of {dtype} in {len(data)} data bytes")
        values = struct.unpack(f"<{count}{fmt}", data[begin:end])
        if dtype == "BF16":
            t = torch.tensor(values, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.tensor(values, dtype={"F32": torch.float32, "F16": torch.float16, "F64": torch.float64}[dtype])
        tensors[name] = t.to(torch.float32).reshape(shape)
        spans.append((begin, end, name))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            sys.exit(f"error: {path}: tensor {name!r} starts at byte {begin}, expected {covered} "
                     f"(overlap or hole in the data)")
        covered = end
    if covered != len(data):
        sys.exit(f"error: {path}: bytes {covered}..{len(data)} of the data belong to no tensor")
    return tensors, metadata


ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def module_from_text(text):
    """One layer of "ctnn.torch", e.g. "nn.LeakyReLU(negative_slope=1/5)", without eval: a call of
    a torch.nn class with numbers (and their ratios) as arguments, nothing else."""
    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            return ARITHMETIC[type(node.op)](value(node.left), value(node.right))
        raise ValueError("only numbers are allowed as arguments")
    try:
        call = ast.parse(text, mode="eval").body
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "nn"
                and isinstance(getattr(nn, call.func.attr, None), type)):
            raise ValueError("expected nn.<Module>(...)")
        return getattr(nn, call.func.attr)(*[value(a) for a in call.args],
                                           **{k.arg: value(k.value) for k in call.keywords})
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError) as e:
        sys.exit(f"error: cannot build the PyTorch module {text!r}: {e}")


def build_from_modules(spec):
    """nn.Sequential from ctnn's "ctnn.torch" metadata: "nn.Linear(13, 17);nn.Tanh();...", the
    module each layer declares it mirrors."""
    layers = []
    for position, text in enumerate(spec.split(";")):
        if not text:
            sys.exit(f"error: the layer at position {position} declares no PyTorch module")
        layers.append(module_from_text(text))
    return nn.Sequential(*layers)


def build(signature):
    """nn.Sequential from ctnn's signature "Linear<13,17>,Tanh,LeakyReLUSlope<1,5>,Linear<17,5>"."""
    layers = []
    for token in re.findall(r"\w+(?:<[^>]*>)?", signature.replace("ctnn::NoBias", "ctnn__NoBias")):
        token = token.replace("ctnn__NoBias", "ctnn::NoBias")
        m = re.fullmatch(r"(\w+)(?:<([^>]*)>)?", token)
        raw = [a.strip() for a in (m.group(2) or "").split(",") if a.strip()]
        no_bias = raw[2:] == ["ctnn::NoBias"]
        if no_bias:
            raw = raw[:2]
        try:
            name, args = m.group(1), [int(a) for a in raw]
        except ValueError:
            sys.exit(f"error: unknown ctnn layer {token!r} in the signature")
        if name == "Linear" and len(args) == 2:
            layers.append(nn.Linear(args[0], args[1], bias=not no_bias))
        elif name == "Softmax" and not args:
            layers.append(nn.Softmax(dim=1))
        elif name == "PReLU" and len(args) == 1:
            layers.append(nn.PReLU(args[0]))
        elif name in ("ReLU", "Tanh", "Sigmoid", "GELU") and not args:
            layers.append(getattr(nn, name)())
        elif name == "LeakyReLU" and not args:
            layers.append(nn.LeakyReLU(0.01))
        elif name == "LeakyReLUSlope" and len(args) == 2:
            layers.append(nn.LeakyReLU(args[0] / args[1]))
        else:
            sys.exit(f"error: unknown ctnn layer {token!r} in the signature")
    return nn.Sequential(*layers)


def read_samples(path):
    """{"inputs": tensor, "outputs": tensor or absent} from a text file (see the module doc)."""
    sections, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            if words[0] in ("inputs", "outputs"):
                current = sections.setdefault(words[0], [])
                continue
            if current is None:
                current = sections.setdefault("inputs", [])
            current.append([float(w) for w in words])
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in sections.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--layers", help='ctnn layer list if the file has no "ctnn.signature"')
    ap.add_argument("--inputs", help="evaluate these samples and print the outputs")
    ap.add_argument("--tolerance", type=float, default=1e-5, help="max |difference| from expected outputs")
    ap.add_argument("--save-module", help="torch.save the nn.Sequential here")
    args = ap.parse_args()

    tensors, metadata = read_safetensors(args.file)
    if not args.layers and metadata.get("ctnn.torch"):
        model = build_from_modules(metadata["ctnn.torch"])
    else:
        signature = args.layers or metadata.get("ctnn.signature")
        if not signature:
            sys.exit('error: the file has no "ctnn.torch" or "ctnn.signature" metadata; '
                     'give --layers "Linear<In,Out>,ReLU,..."')
        model = build(signature)
    model.load_state_dict(tensors, strict=True)
    model.eval()
    if not args.inputs:
        print(model)
        for name, t in tensors.items():
            print(f"{name} {list(t.shape)}")
    if args.save_module:
        torch.save(model, args.save_module)
    if args.inputs:
        samples = read_samples(args.inputs)
        with torch.no_grad():
            y = model(samples["inputs"])
        for row in y.tolist():
            print(" ".join(f"{v:.9g}" for v in row))
        if "outputs" in samples:
            diff = (y - samples["outputs"]).abs().max().item()
            ok = diff <= args.tolerance
            print(f"max |torch - expected| = {diff:.3g}: {'OK' if ok else 'MISMATCH'} (tolerance {args.tolerance:g})",
                  file=sys.stderr)
            sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

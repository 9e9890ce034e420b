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

The layers come from the "ctnn.torch" metadata ctnn writes ("nn.Conv2d(1, 6, 5);nn.ReLU();...";
a ctnn::Residual writes "Residual(nn.Sequential(...), nn.Sequential(...))", main path then shortcut),
else from "ctnn.signature" ("Input<1,28,28>,Conv2D<1,6,5>,ReLU,MaxPool2D<2>,Flatten,...", or
"Input<2,16>,Conv1D<2,4,3,ctnn::Stride<2>>,ReLU,MaxPool1D<2>,Flatten,..." for sequences); give
--layers for a file without either (it then overrides them). Loading is strict, as in ctnn: every
tensor present with its shape, no others (load_state_dict(strict=True)), offsets that tile the
data exactly, BatchNorm's num_batches_tracked an I64 (and nothing else an integer). The model is
returned in eval mode: BatchNorm normalises with the file's running_mean and running_var, and
Dropout is the identity, as in ctnn's inference (forward).

The signature's Input<C,H,W> (or Input<C,T> for sequences, Input<N>) marker is the model's input
shape, not a module: each row of --inputs holds one sample's C*H*W (or C*T) values in row-major
order (as ctnn reads them) and is reshaped to C x H x W (C x T) before the model; each output row
is the model's output flattened.

--layers (the same syntax as tools/torch_to_safetensors.py --layers) is a comma-separated list
in ctnn's spelling, PyTorch's, or a mix:
    Input<1,28,28>,Conv2D<1,6,5>,ReLU,MaxPool2D<2>,Conv2D<6,16,5,Stride<2>,NoBias>,Flatten,Linear<256,10>
    Conv2d(1,6,5),ReLU,MaxPool2d(2),Conv2d(6,16,5,stride=2,bias=False),Flatten,Linear(256,10)
    Input<2,16>,Conv1D<2,4,3,Padding<1>>,Tanh,Conv1D<4,4,3,Stride<2>,Dilation<2>,Groups<2>,NoBias>,Flatten,Linear<24,5>
    Input(2,16),Conv1d(2,4,3,padding=1),Tanh,Conv1d(4,4,3,stride=2,dilation=2,groups=2,bias=False),Flatten,Linear(24,5)
    Input<2,12>,Conv1D<2,4,3,Stride<2>>,ReLU,ConvTranspose1D<4,4,4,Stride<2>,Padding<1>,OutputPadding<1>,Groups<2>>,Flatten,Linear<44,5>
    Input(2,12),Conv1d(2,4,3,stride=2),ReLU,ConvTranspose1d(4,4,4,stride=2,padding=1,output_padding=1,groups=2),Flatten,Linear(44,5)
    Input<2,16>,MaxPool1D<3,Stride<2>,Padding<1>>,Conv1D<2,4,3>,AvgPool1D<2>,Flatten,Linear<12,5>
    Input(2,16),MaxPool1d(3,stride=2,padding=1),Conv1d(2,4,3),AvgPool1d(2),Flatten,Linear(12,5)
    Input<1,64>,GRU<1,8>,LSTM<8,6>,Conv1D<6,1,1>        or        Input(1,64),GRU(1,8),LSTM(8,6),Conv1d(6,1,1)
    Input<2,16>,Residual<Conv1D<2,4,3,Dilation<2>>,PReLU<4>,Shortcut<Conv1D<2,4,1>>>,ReLU,Conv1D<4,1,1>
    Input(2,16),Residual(main=[Conv1d(2,4,3,dilation=2),PReLU(4)],shortcut=[Conv1d(2,4,1)]),ReLU,Conv1d(4,1,1)
Layers: Linear, Conv2D/Conv2d, Conv1D/Conv1d (on C x T sequences, options with one value),
ConvTranspose1D/ConvTranspose1d (on C x T sequences, options with one value, OutputPadding<P> or
output_padding=P; no SamePadding), MaxPool2D/MaxPool2d, AvgPool2D/AvgPool2d, MaxPool1D/MaxPool1d
and AvgPool1D/AvgPool1d (on C x T sequences, options with one value), GlobalAvgPool2D (or
AdaptiveAvgPool2d(1)), Flatten, ReLU, Tanh, Sigmoid, GELU, Softmax, LeakyReLU(slope) or
LeakyReLUSlope<N,D>, ELU(alpha) or ELUAlpha<N,D>, PReLU(n) or PReLU<n>, BatchNorm1d(C) or
BatchNorm1d<C> (features or C x T sequences), BatchNorm2d(C) or BatchNorm2d<C>, Dropout and
Dropout2d (PyTorch's Dropout(0.5), Dropout(p=0.5) or Dropout for p = 0.5; ctnn's Dropout<50> for
p = N/100, Dropout<1,3> for N/D), GRU(In,Hidden) or GRU<In,Hidden>, LSTM(In,Hidden) or
LSTM<In,Hidden> (on C x T sequences; built with batch_first=True unless given), Identity, Residual
(a block y = main(x) + shortcut(x), the Residual of tools/ctnn_modules.py:
Residual<layers...,Shortcut<layers...>>, the Shortcut optional and last, or
Residual(main=[layers...],shortcut=[layers...]), shortcut= optional, a path also [...] positional
or Sequential(...); its layers are any of these, written as in the list); an optional "ctnn::" or
"nn." prefix, names in any case. Options as ctnn writes them (Stride<2>, Stride<2,1>, Padding<1>,
SamePadding, OutputPadding<1>, Dilation<2>, Groups<2>, KernelWidth<5>, NoBias) or as PyTorch's
arguments (stride=2, padding=(1,0), padding='same', output_padding=1, dilation=2, groups=2,
bias=False; a kernel (3,5)). Input<C,H,W> or Input<C,T> (or Input(C,H,W)) may come first, to give
the input shape. ctnn has no adaptive or power-average 1-D pooling: AdaptiveMaxPool1d,
AdaptiveAvgPool1d and LPPool1d are refused, and so is RNN (ctnn's recurrent layers are GRU and
LSTM).

A model with a GRU or an LSTM is a CtnnSequential (an nn.Sequential defined here, with the same
state_dict names): nn.Sequential cannot chain them (they take (N, T, C) and return a tuple), so
it runs them on ctnn's C x T samples, transposing the input to (N, T, C) and output[0] back to
(N, Hidden, T) (apply_layer). torch.load of one saved with --save-module needs this file
importable (tools/ on sys.path), and so does one with a Residual (tools/ctnn_modules.py).

Bad input (a missing or malformed file, an unknown layer, tensors that do not fit) is a one-line
"error: ..." on stderr and exit status 2.
"""
import argparse
import ast
import json
import math
import operator
import os
import re
import struct
import sys
import warnings

import torch
from torch import nn

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctnn_modules import Residual  # noqa: E402 - tools/ctnn_modules.py: ctnn::Residual as a PyTorch module

# PyTorch's note that padding='same' with an even kernel may copy the input: not the user's concern.
warnings.filterwarnings("ignore", message="Using padding='same'")
# nn.GRU(..., dropout=p) of one layer (dropout acts between stacked layers only): nothing to say.
warnings.filterwarnings("ignore", message="dropout option adds dropout after all but last recurrent layer")

FORMATS = {"F32": ("f", 4), "F16": ("e", 2), "F64": ("d", 8), "BF16": ("h", 2), "I64": ("q", 8)}


# ---------------------------------------------------------------- errors

class ToolError(Exception):
    """A one-line message for the user: the tool prints "error: <message>" and exits with 2."""


def fail(message):
    raise ToolError(message)


def one_line(e):
    """An exception's message on one line (PyTorch's load_state_dict errors span several)."""
    text = " ".join(part.strip() for part in str(e).splitlines() if part.strip()) or type(e).__name__
    return text if len(text) <= 400 else text[:400] + "..."


def run(main):
    """Runs main(), turning every failure into one "error: ..." line and exit status 2."""
    try:
        main()
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or one_line(e)}", file=sys.stderr)
        sys.exit(2)
    except Exception as e:  # noqa: BLE001 - never a traceback for bad input
        print(f"error: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
        sys.exit(2)


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors are one "error: ..." line (exit status 2, as argparse's)."""

    def error(self, message):
        print(f"error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


# ---------------------------------------------------------------- the file

def read_safetensors(path):
    """(tensors, metadata): floating-point tensors as float32, I64 ones (BatchNorm's
    num_batches_tracked) as int64."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail(f"{path}: truncated ({len(raw)} bytes), not a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > 100_000_000 or 8 + n > len(raw):
        fail(f"{path}: header length {n} does not fit the file ({len(raw)} bytes); not a safetensors file?")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail(f"{path}: the header is not JSON: {one_line(e)}")
    if not isinstance(header, dict):
        fail(f"{path}: the header is not a JSON object")
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict):
        fail(f"{path}: __metadata__ is not a JSON object")
    tensors, spans = {}, []
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], [int(d) for d in entry["shape"]], entry["data_offsets"]
            begin, end = int(begin), int(end)
        except (KeyError, TypeError, ValueError) as e:
            fail(f"{path}: tensor {name!r}: malformed entry {entry!r} ({one_line(e)})")
        if dtype not in FORMATS:
            fail(f"{path}: tensor {name!r}: dtype {dtype} not supported (F32, F16, BF16, F64; I64 for counts)")
        fmt, size = FORMATS[dtype]
        count = math.prod(shape)
        if begin < 0 or end - begin != count * size or end > len(data):
            fail(f"{path}: tensor {name!r}: data_offsets {[begin, end]} do not fit shape {shape} "
                 f"of {dtype} in {len(data)} data bytes")
        values = struct.unpack(f"<{count}{fmt}", data[begin:end])
        if dtype == "BF16":
            t = torch.tensor(values, dtype=torch.int16).view(torch.bfloat16)
        elif dtype == "I64":
            t = torch.tensor(values, dtype=torch.int64)
        else:
            t = torch.tensor(values, dtype={"F32": torch.float32, "F16": torch.float16, "F64": torch.float64}[dtype])
        tensors[name] = (t if dtype == "I64" else t.to(torch.float32)).reshape(shape)
        spans.append((begin, end, name))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            fail(f"{path}: tensor {name!r} starts at byte {begin}, expected {covered} (overlap or hole in the data)")
        covered = end
    if covered != len(data):
        fail(f"{path}: bytes {covered}..{len(data)} of the data belong to no tensor")
    return tensors, metadata


# ---------------------------------------------------------------- "ctnn.torch"

ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def literal(node):
    """A number, a ratio of numbers, a string, None or a tuple of them; nothing else (no eval)."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (int, float, bool, str))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -literal(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        return ARITHMETIC[type(node.op)](literal(node.left), literal(node.right))
    if isinstance(node, ast.Tuple):
        return tuple(literal(e) for e in node.elts)
    raise ValueError("only numbers, strings, None and tuples of them are allowed as arguments")


def module_from_node(call):
    """The module of a parsed "ctnn.torch" entry: a call of a torch.nn class with numbers, strings
    and tuples as arguments, or Residual(nn.Sequential(...)[, nn.Sequential(...)]) of such calls
    (main path, then the shortcut; tools/ctnn_modules.py)."""
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Residual":
        paths = dict(zip(("main", "shortcut"), call.args))
        for k in call.keywords:
            if k.arg not in ("main", "shortcut") or k.arg in paths:
                raise ValueError(f"Residual takes main and shortcut, once each, not {k.arg or '**'}=")
            paths[k.arg] = k.value
        if len(call.args) > 2 or "main" not in paths:
            raise ValueError("expected Residual(nn.Sequential(...)), or with a shortcut: "
                             "Residual(nn.Sequential(...), nn.Sequential(...))")
        return Residual(*[sequential_from_node(paths[k]) for k in ("main", "shortcut") if k in paths])
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "nn"
            and isinstance(getattr(nn, call.func.attr, None), type) and call.func.attr != "Sequential"):
        raise ValueError("expected nn.<Module>(...) or Residual(nn.Sequential(...), ...)")
    return getattr(nn, call.func.attr)(*[literal(a) for a in call.args],
                                       **{k.arg: literal(k.value) for k in call.keywords})


def sequential_from_node(node):
    """A Residual's path in "ctnn.torch": nn.Sequential(<module>, ...)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "nn"
            and node.func.attr == "Sequential" and not node.keywords):
        raise ValueError("a Residual's paths are nn.Sequential(...) of modules")
    return sequential([module_from_node(a) for a in node.args])


def module_from_text(text):
    """One layer of "ctnn.torch", e.g. "nn.Conv2d(1, 8, (3, 5), padding='same')" or
    "Residual(nn.Sequential(nn.Linear(4, 4), nn.ReLU()))", without eval: a call of a torch.nn
    class with numbers, strings and tuples as arguments, or a Residual of such calls, nothing else."""
    try:
        return module_from_node(ast.parse(text.strip(), mode="eval").body)
    except Exception as e:  # noqa: BLE001 - SyntaxError, ValueError, TypeError, RuntimeError...
        fail(f"cannot build the PyTorch module {text!r}: {one_line(e)}")


def build_from_modules(spec):
    """nn.Sequential from ctnn's "ctnn.torch" metadata: "nn.Linear(13, 17);nn.Tanh();...", the
    module each layer declares it mirrors."""
    layers = []
    for position, text in enumerate(spec.split(";")):
        if not text:
            fail(f"the layer at position {position} declares no PyTorch module (\"ctnn.torch\" metadata); "
                 f"give --layers")
        layers.append(module_from_text(text))
    return sequential(layers)


# ---------------------------------------------------------------- recurrent layers in a Sequential

def apply_layer(m, x):
    """One layer on a batch in ctnn's layout, x of shape (N, ...) with sequences as (N, C, T).
    nn.GRU and nn.LSTM take (N, T, C) (batch_first; (T, N, C) without it) and return a tuple:
    their input is transposed, output[0] (every step's hidden state) taken and transposed back
    to (N, Hidden, T), which a Conv1d, BatchNorm1d or Flatten after it expects."""
    if not isinstance(m, RECURRENT):
        return m(x)
    if x.dim() != 3:
        fail(f"{m} takes sequences, C x T samples (channels x length), not {shape_text(x.shape[1:])}")
    x = x.transpose(1, 2)  # (N, C, T) -> (N, T, C)
    if not m.batch_first:
        x = x.transpose(0, 1)  # -> (T, N, C)
    y = m(x)[0]
    if not m.batch_first:
        y = y.transpose(0, 1)
    return y.transpose(1, 2).contiguous()  # (N, T, H) -> (N, H, T)


class CtnnSequential(nn.Sequential):
    """An nn.Sequential that can hold nn.GRU and nn.LSTM, which a plain one cannot chain (they
    take (N, T, C) and return a tuple): runs each layer with apply_layer, so a sample is C x T
    throughout, as in ctnn. Its state_dict is the nn.Sequential's ("0.weight_ih_l0", ...).
    torch.load of a saved one needs this module importable (tools/ on sys.path)."""

    def forward(self, x):
        for m in self:
            x = apply_layer(m, x)
        return x


def sequential(layers):
    """nn.Sequential of the layers, a CtnnSequential if one of them is recurrent."""
    return (CtnnSequential if any(isinstance(m, RECURRENT) for m in layers) else nn.Sequential)(*layers)


# ---------------------------------------------------------------- the layer language (--layers, "ctnn.signature")

# The layers, by their names in lower case (ctnn's and PyTorch's spellings): the nn class, and
# the index of the kernel size among its positional arguments (for KernelWidth<W>).
LAYER_CLASSES = {
    "linear": ("Linear", None), "conv2d": ("Conv2d", 2), "conv1d": ("Conv1d", None), "maxpool2d": ("MaxPool2d", 0),
    "convtranspose1d": ("ConvTranspose1d", None),
    "avgpool2d": ("AvgPool2d", 0), "maxpool1d": ("MaxPool1d", None), "avgpool1d": ("AvgPool1d", None),
    "adaptiveavgpool2d": ("AdaptiveAvgPool2d", None),
    "globalavgpool2d": ("AdaptiveAvgPool2d", None), "flatten": ("Flatten", None), "relu": ("ReLU", None),
    "tanh": ("Tanh", None), "sigmoid": ("Sigmoid", None), "gelu": ("GELU", None), "softmax": ("Softmax", None),
    "leakyrelu": ("LeakyReLU", None), "leakyreluslope": ("LeakyReLU", None), "elu": ("ELU", None),
    "elualpha": ("ELU", None), "prelu": ("PReLU", None), "dropout": ("Dropout", None),
    "dropout2d": ("Dropout2d", None), "identity": ("Identity", None), "batchnorm1d": ("BatchNorm1d", None),
    "batchnorm2d": ("BatchNorm2d", None), "gru": ("GRU", None), "lstm": ("LSTM", None),
}
OPTIONS = {"stride", "padding", "samepadding", "outputpadding", "dilation", "groups", "kernelwidth", "nobias"}
# The layers on C x T sequences: their options take one value, and no KernelWidth.
ONE_AXIS = {"conv1d": "Conv1D", "convtranspose1d": "ConvTranspose1D", "maxpool1d": "MaxPool1D",
            "avgpool1d": "AvgPool1D"}
ONE_AXIS_MODULES = (nn.Conv1d, nn.ConvTranspose1d, nn.MaxPool1d, nn.AvgPool1d)
# Layers ctnn does not have, refused by name with what to do instead.
MISSING = {k: "ctnn's 1-D pools are MaxPool1D and AvgPool1D (fixed windows), no adaptive or power-average pooling"
           for k in ("adaptivemaxpool1d", "adaptiveavgpool1d", "lppool1d")}
MISSING["rnn"] = "ctnn's recurrent layers are GRU and LSTM (one layer each), no Elman nn.RNN"
MISSING["convtranspose2d"] = MISSING["convtranspose3d"] = ("ctnn's transposed convolution is ConvTranspose1D, on C x T "
                                                           "sequences")
MISSING["adaptiveavgpool1d"] += "; over a sequence of length T, AdaptiveAvgPool1d(1) is AvgPool1d(T) (AvgPool1D<T>)"
LAYER_NAMES = ("Linear, Conv2D, Conv1D, ConvTranspose1D, MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D, "
               "GlobalAvgPool2D (AdaptiveAvgPool2d(1)), Flatten, ReLU, Tanh, Sigmoid, GELU, Softmax, LeakyReLU, "
               "LeakyReLUSlope<N,D>, "
               "ELU, ELUAlpha<N,D>, PReLU, BatchNorm1d, BatchNorm2d, Dropout, Dropout2d (p, or <N> or <N,D> for "
               "p = N/100 or N/D), GRU, LSTM, Identity, Residual<layers...,Shortcut<layers...>> "
               "(or Residual(main=[layers...],shortcut=[layers...]))")
# The recurrent layers: they take (N, T, C) with batch_first (ctnn's {C, T} sample transposed)
# and return a tuple (output, state). See apply_layer.
RECURRENT = (nn.GRU, nn.LSTM)


def spec_name(node):
    """"Conv2D" from Conv2D, ctnn::Conv2D (parsed as ctnn. Conv2D) or nn.Conv2d; None otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("ctnn", "nn"):
        return node.attr
    return None


def spec_call(node):
    """(name, positional argument nodes, keyword nodes) of a layer or an option; None if not one."""
    if isinstance(node, ast.Call):
        name = spec_name(node.func)
        return (name, node.args, node.keywords) if name else None
    name = spec_name(node)
    return (name, [], []) if name else None


def spec_value(node, keyword=False):
    """An argument: a number (a ratio too), True/False, a string, a tuple; a bare word after
    `keyword=` is a string (padding=same)."""
    if keyword and isinstance(node, ast.Name):
        return node.id
    return literal(node)


def input_shape_of(args, text):
    """The Input<...> marker's dimensions: one to three positive integers."""
    dims = [spec_value(a) for a in args]
    if not 1 <= len(dims) <= 3 or not all(type(d) is int and d > 0 for d in dims):
        fail(f"{text!r}: Input takes one to three positive sizes (N; C,T; C,H,W)")
    return tuple(dims)


def make_layer(name, args, keywords, text):
    """The nn.Module of one layer of a layer list."""
    key = name.lower()
    if key in MISSING:
        fail(f"{text!r}: {MISSING[key]}")
    if key not in LAYER_CLASSES:
        fail(f"unknown layer {text!r} (known: {LAYER_NAMES})")
    cls, kernel_index = LAYER_CLASSES[key]
    positional, kwargs, kernel_width = [], {}, None
    for a in args:
        option = spec_call(a)
        if option:
            oname, oargs, okw = option
            o = oname.lower()
            if o not in OPTIONS:
                fail(f"{text!r}: unknown option {oname!r} (Stride, Padding, SamePadding, OutputPadding, Dilation, "
                     f"Groups, KernelWidth, NoBias)")
            values = [spec_value(v) for v in oargs]
            if okw or not all(type(v) is int and v >= 0 for v in values):
                fail(f"{text!r}: option {oname} takes non-negative integers")
            expected = {"nobias": (0,), "samepadding": (0,), "groups": (1,), "kernelwidth": (1,)}.get(o, (1, 2))
            if len(values) not in expected:
                fail(f"{text!r}: option {oname} takes {' or '.join(map(str, expected))} value(s), not {len(values)}")
            if key in ONE_AXIS and o == "kernelwidth":
                fail(f"{text!r}: KernelWidth is for 2-D kernels; {ONE_AXIS[key]}'s " +
                     ("kernel is its Kernel taps" if key in ("conv1d", "convtranspose1d")
                      else "window is its Kernel steps"))
            if o == "outputpadding" and key != "convtranspose1d":
                fail(f"{text!r}: OutputPadding is an option of ConvTranspose1D")
            if o == "samepadding" and key == "convtranspose1d":
                fail(f"{text!r}: ConvTranspose1D has no SamePadding (nn.ConvTranspose1d has no padding='same')")
            if key in ONE_AXIS and len(values) > 1:
                fail(f"{text!r}: option {oname} of {ONE_AXIS[key]} takes one value (a sequence has one axis), "
                     f"not {len(values)}")
            if o == "kernelwidth":
                kernel_width = values[0]
                continue
            kw, value = {"nobias": ("bias", False), "samepadding": ("padding", "same"),
                         "outputpadding": ("output_padding", values[0] if len(values) == 1 else tuple(values))}.get(
                o, (o, values[0] if len(values) == 1 else tuple(values)))
            if kw in kwargs:
                fail(f"{text!r}: {kw} given twice")
            kwargs[kw] = value
        else:
            if kwargs:
                fail(f"{text!r}: a positional argument after options")
            positional.append(spec_value(a))
    for k in keywords:
        if k.arg is None or k.arg in ("device", "dtype", "inplace"):
            fail(f"{text!r}: argument {k.arg or '**'} not allowed")
        if k.arg in kwargs:
            fail(f"{text!r}: {k.arg} given twice")
        kwargs[k.arg] = spec_value(k.value, keyword=True)
    # ctnn's spellings of PyTorch's arguments.
    if key in ("leakyreluslope", "elualpha"):
        if len(positional) != 2 or kwargs or not all(type(v) is int for v in positional) or positional[1] == 0:
            fail(f"{text!r}: {name} takes a ratio <N,D> of integers")
        positional = [positional[0] / positional[1]]
    elif key in ("dropout", "dropout2d") and "<" in text:
        # ctnn's Dropout<N> (p = N/100) or Dropout<N,D>; PyTorch's Dropout(0.5) / Dropout(p=0.5) as it is.
        if not 1 <= len(positional) <= 2 or kwargs or not all(type(v) is int and v >= 0 for v in positional):
            fail(f"{text!r}: {name}<N> or {name}<N,D> takes one or two non-negative integers (p = N/100 or N/D)")
        n, d = positional if len(positional) == 2 else (positional[0], 100)
        if d == 0 or n > d:
            fail(f"{text!r}: p = {n}/{d} is not a probability")
        positional = [n / d]
    elif key == "globalavgpool2d":
        if positional or kwargs:
            fail(f"{text!r}: GlobalAvgPool2D takes no arguments")
        positional = [1]
    elif key == "softmax" and not positional:
        kwargs.setdefault("dim", 1)
    elif key in ("gru", "lstm"):
        kwargs.setdefault("batch_first", True)  # as ctnn's torch_module() declares it
    elif key == "convtranspose1d" and isinstance(kwargs.get("padding"), str):
        fail(f"{text!r}: nn.ConvTranspose1d has no padding={kwargs['padding']!r} (nor has ctnn's ConvTranspose1D)")
    if kernel_width is not None:
        if kernel_index is None:
            fail(f"{text!r}: KernelWidth is an option of Conv2D and the 2-D pooling layers")
        if kernel_index < len(positional) and type(positional[kernel_index]) is int:
            positional[kernel_index] = (positional[kernel_index], kernel_width)
        elif type(kwargs.get("kernel_size")) is int:
            kwargs["kernel_size"] = (kwargs["kernel_size"], kernel_width)
        else:
            fail(f"{text!r}: KernelWidth<W> needs a square kernel size to set the width of")
    try:
        module = getattr(nn, cls)(*positional, **kwargs)
    except Exception as e:  # noqa: BLE001 - TypeError, ValueError, RuntimeError from the constructor
        fail(f"cannot build {text!r} as nn.{cls}: {one_line(e)}")
    if isinstance(module, ONE_AXIS_MODULES) and (pairs := one_axis_pairs(module)):
        fail(f"{text!r}: {cls} takes one value for {pairs} (a sequence has one axis)")
    return module


def one_axis_pairs(m):
    """The sizes of an nn.Conv1d, nn.ConvTranspose1d, nn.MaxPool1d or nn.AvgPool1d given as pairs,
    which PyTorch builds but cannot run: "stride, padding" ("" if each has one value; a pool's may be
    a plain int)."""
    names = ("kernel_size", "stride", "padding", "output_padding", "dilation")
    return ", ".join(n for n in names if isinstance(v := getattr(m, n, None), (tuple, list)) and len(v) != 1)


def parse_layers(spec):
    """(input shape or None, nn.Sequential) from a layer list: ctnn's signature
    ("Input<1,28,28>,Conv2D<1,6,5,ctnn::Stride<2>>,ReLU,...") or PyTorch's spelling
    ("Conv2d(1,6,5,stride=2),ReLU,..."), or a mix (see the module doc)."""
    # C++'s brackets and "::" as Python's call and attribute syntax, offsets unchanged.
    text = spec.replace("::", ". ").replace("<", "(").replace(">", ")")
    try:
        tree = ast.parse(f"({text}\n,)", mode="eval").body
    except SyntaxError as e:
        fail(f"cannot read the layer list {spec!r}: {e.msg} near column {max((e.offset or 2) - 1, 1)}")
    if not isinstance(tree, ast.Tuple) or not tree.elts:
        fail(f"cannot read the layer list {spec!r}")
    input_shape, layers = None, []
    for index, node in enumerate(tree.elts):
        call = spec_call(node)
        if index == 0 and call and call[0].lower() == "input" and not call[2]:
            input_shape = input_shape_of(call[1], item_text(spec, node))
            continue
        layers.append(layer_from_node(node, spec))
    if not layers:
        fail(f"no layers in {spec!r}")
    return input_shape, sequential(layers)


def item_text(spec, node):
    """The text of a parsed node in the layer list (parse_layers keeps the offsets, less one)."""
    return spec[node.col_offset - 1:node.end_col_offset - 1] if node.lineno == node.end_lineno == 1 else "?"


def layer_from_node(node, spec):
    """The nn.Module of one layer of a layer list (a Residual's inner layers too)."""
    item = item_text(spec, node)
    call = spec_call(node)
    if not call:
        fail(f"unknown layer {item!r} in {spec!r} (known: {LAYER_NAMES})")
    name, args, keywords = call
    key = name.lower()
    if key == "input":
        fail(f"{item!r}: Input<...> declares the input shape, first in the list")
    if key == "residual":
        return make_residual(args, keywords, item, spec)
    if key in ("shortcut", "sequential"):
        fail(f"{item!r}: {name} is a path of a Residual: Residual<layers...,Shortcut<layers...>> or "
             f"Residual(main=[layers...],shortcut=[layers...])")
    try:
        return make_layer(name, args, keywords, item)
    except ValueError as e:  # literal(): not a number
        fail(f"{item!r}: {e}")


def is_path(node):
    """Whether a Residual's argument is a whole path: [layers...] or Sequential(layers...)."""
    call = spec_call(node)
    return isinstance(node, ast.List) or bool(call and call[0].lower() == "sequential")


def make_residual(args, keywords, item, spec):
    """A Residual (tools/ctnn_modules.py) from its arguments in a layer list, in ctnn's spelling,
    Residual<L1,...,Ln,Shortcut<S1,...>> (the Shortcut optional, last), or PyTorch's,
    Residual(main=[L1,...],shortcut=[S1,...]) (or positional, or Sequential(...) for a list):
    the layers of each path are those of a layer list, Residual included."""
    usage = "Residual<layers...,Shortcut<layers...>> or Residual(main=[layers...],shortcut=[layers...])"
    if keywords or any(is_path(a) for a in args):
        paths = {}
        if len(args) > 2 or not all(is_path(a) for a in args):
            fail(f"{item!r}: give a Residual's paths as lists, main then shortcut: {usage}")
        paths.update(zip(("main", "shortcut"), args))
        for k in keywords:
            if k.arg not in ("main", "shortcut"):
                fail(f"{item!r}: unknown argument {k.arg or '**'}= of Residual (main, shortcut): {usage}")
            if k.arg in paths:
                fail(f"{item!r}: {k.arg} given twice")
            if not is_path(k.value):
                fail(f"{item!r}: {k.arg}= takes a list of layers, [layer,...]: {usage}")
            paths[k.arg] = k.value
        if "main" not in paths:
            fail(f"{item!r}: a Residual needs its main path: {usage}")

        def path(node):
            if isinstance(node, ast.List):
                return [layer_from_node(e, spec) for e in node.elts]
            _, elts, kw = spec_call(node)  # Sequential(...)
            if kw:
                fail(f"{item!r}: Sequential takes layers, no keywords")
            return [layer_from_node(e, spec) for e in elts]

        main, shortcut = path(paths["main"]), path(paths["shortcut"]) if "shortcut" in paths else None
    else:
        main, shortcut = [], None
        for index, a in enumerate(args):
            call = spec_call(a)
            if call and call[0].lower() == "shortcut":
                if index != len(args) - 1 or call[2]:
                    fail(f"{item!r}: Shortcut<layers...> comes last in a Residual: {usage}")
                shortcut = [layer_from_node(e, spec) for e in call[1]]
            else:
                main.append(layer_from_node(a, spec))
    if not main:
        fail(f"{item!r}: a Residual needs at least one layer on its main path: {usage}")
    return Residual(sequential(main), sequential(shortcut) if shortcut else None)


def signature_input(signature):
    """The Input<...> marker a signature starts with, as a shape; None without one."""
    m = re.match(r"\s*(?:ctnn::)?Input<([^>]*)>", signature or "")
    if not m:
        return None
    dims = [d.strip() for d in m.group(1).split(",")]
    if not all(d.isdigit() for d in dims):
        fail(f"cannot read the input shape {m.group(0)!r} of the signature {signature!r}")
    return input_shape_of([ast.Constant(int(d)) for d in dims], m.group(0))


def shape_text(shape):
    return " x ".join(str(d) for d in shape)


# ---------------------------------------------------------------- the model

def load_model(path, layers=None):
    """(nn.Sequential in eval mode with the file's tensors, input shape or None, tensors, metadata)."""
    tensors, metadata = read_safetensors(path)
    signature = metadata.get("ctnn.signature")
    if layers:
        input_shape, model = parse_layers(layers)
        source = f"--layers {layers!r}"
        if input_shape is None and signature:
            input_shape = signature_input(signature)
    elif metadata.get("ctnn.torch"):
        model, source = build_from_modules(metadata["ctnn.torch"]), f"\"ctnn.torch\" {metadata['ctnn.torch']!r}"
        input_shape = signature_input(signature)
    elif signature:
        input_shape, model = parse_layers(signature)
        source = f"\"ctnn.signature\" {signature!r}"
    else:
        fail(f'{path}: the file has no "ctnn.torch" or "ctnn.signature" metadata; '
             f'give --layers "Linear<In,Out>,ReLU,..." (or "Input<C,H,W>,Conv2D<...>,...")')
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        fail(f"{path}: the tensors do not fit the layers of {source}: {one_line(e)}")
    # As strict as ctnn, where PyTorch is lenient for old files (a missing num_batches_tracked
    # becomes 0, a [1] one a scalar): every tensor with its exact shape, a count (num_batches_tracked)
    # I64 and not negative, everything else a floating-point type.
    for name, t in model.state_dict().items():
        if name not in tensors:
            fail(f"{path}: tensor {name!r} is missing: the layers of {source} need it, {list(t.shape)}")
        if tensors[name].shape != t.shape:
            fail(f"{path}: tensor {name!r} has shape {list(tensors[name].shape)}; the layers of {source} "
                 f"need {list(t.shape)}")
        if tensors[name].is_floating_point() != t.is_floating_point():
            found, needed = ("floating-point", "an I64 count") if not t.is_floating_point() else \
                ("I64", "F32, F16, BF16 or F64")
            fail(f"{path}: tensor {name!r} is {found}; the layers of {source} need {needed}")
        if not t.is_floating_point() and (tensors[name] < 0).any():
            fail(f"{path}: tensor {name!r} is {tensors[name].min().item()}; a count cannot be negative")
    return model.eval(), input_shape, tensors, metadata


def read_samples(path):
    """{"inputs": tensor, "outputs": tensor or absent} from a text file (see the module doc)."""
    sections, current = {}, None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            if words[0] in ("inputs", "outputs"):
                current = sections.setdefault(words[0], [])
                continue
            if current is None:
                current = sections.setdefault("inputs", [])
            try:
                current.append([float(w) for w in words])
            except ValueError as e:
                fail(f"{path}:{number}: {one_line(e)}")
    if not sections.get("inputs"):
        fail(f"{path}: no input samples")
    out = {}
    for k, rows in sections.items():
        if len({len(r) for r in rows}) > 1:
            fail(f"{path}: the {k} rows do not all have the same number of values")
        out[k] = torch.tensor(rows, dtype=torch.float32)
    return out


def evaluate(model, input_shape, x):
    """The model's outputs for rows of flat samples x, one flat row per sample."""
    values = x.shape[1]
    if input_shape is not None:
        if x.shape[1] != math.prod(input_shape):
            fail(f"the samples have {x.shape[1]} values each; the model's input is {shape_text(input_shape)} "
                 f"= {math.prod(input_shape)}")
        x = x.reshape(x.shape[0], *input_shape)
    try:
        with torch.no_grad():
            y = model(x)
    except RuntimeError as e:
        fail(f"the model does not accept samples of {values} values" +
             (f" ({shape_text(input_shape)})" if input_shape is not None else "") + f": {one_line(e)}")
    return y.reshape(y.shape[0], -1)


def main():
    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--layers", help='layer list for a file without "ctnn.signature" (overrides it), '
                                     'e.g. "Input<1,28,28>,Conv2D<1,6,5>,ReLU,..." or "Linear(4,32),ReLU,Linear(32,2)"')
    ap.add_argument("--inputs", help="evaluate these samples and print the outputs")
    ap.add_argument("--tolerance", type=float, default=1e-5, help="max |difference| from expected outputs")
    ap.add_argument("--save-module", help="torch.save the nn.Sequential here")
    args = ap.parse_args()

    model, input_shape, tensors, _ = load_model(args.file, args.layers)
    if not args.inputs:
        if input_shape is not None:
            print(f"input: {shape_text(input_shape)}")
        print(model)
        for name, t in tensors.items():
            count = "" if t.is_floating_point() else f" I64 = {t.item() if t.dim() == 0 else t.tolist()}"
            print(f"{name} {list(t.shape)}{count}")
    if args.save_module:
        if __name__ == "__main__":
            # Saved under the importable module name, not __main__, so that torch.load finds the class
            # (a Residual's paths included; Residual itself is tools/ctnn_modules.py's).
            import safetensors_to_torch
            for m in model.modules():
                if type(m) is CtnnSequential:
                    m.__class__ = safetensors_to_torch.CtnnSequential
        torch.save(model, args.save_module)
    if args.inputs:
        samples = read_samples(args.inputs)
        y = evaluate(model, input_shape, samples["inputs"])
        for row in y.tolist():
            print(" ".join(f"{v:.9g}" for v in row))
        if "outputs" in samples:
            if samples["outputs"].shape != y.shape:
                fail(f"{args.inputs}: the expected outputs are {list(samples['outputs'].shape)}, "
                     f"the model gives {list(y.shape)}")
            diff = (y - samples["outputs"]).abs().max().item()
            ok = diff <= args.tolerance
            print(f"max |torch - expected| = {diff:.3g}: {'OK' if ok else 'MISMATCH'} (tolerance {args.tolerance:g})",
                  file=sys.stderr)
            sys.exit(0 if ok else 1)


if __name__ == "__main__":
    run(main)

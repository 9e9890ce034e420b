#!/usr/bin/env python3
"""Converts a model saved in RTNeural's JSON format into a safetensors file that
ctnn::io::load_safetensors reads, and prints the matching ctnn::Seq declaration.

Needs Python 3 and nothing else (the JSON is read with `json`, the file written by hand with
`struct`), so it runs on any machine:

    tools/rtneural_to_safetensors.py model.json model.safetensors
    # prints, for a GRU amp model:
    using Net = ctnn::Seq<ctnn::Input<1, 64>, ctnn::GRU<1, 8>, ctnn::Conv1D<8, 1, 1>>;
    # a model without conv1d, gru or lstm can also become a plain multilayer perceptron
    tools/rtneural_to_safetensors.py --flat mlp.json mlp.safetensors
    # prints:
    using Net = ctnn::Seq<ctnn::Linear<1, 8>, ctnn::Tanh, ctnn::Linear<8, 1>>;

RTNeural's JSON is what its Python helpers write: RTNeural's python/model_utils.py save_model()
from a Keras model, and the PyTorch helpers that write the same Keras layout: {"in_shape":
[null, null, C], "layers": [{"type": ..., "activation": ..., "shape": [..., N], "weights":
[...]}, ...]}, each layer's size the last entry of its "shape", the weights as Keras stores
them. RTNeural runs such a model one time step (one frame of C values) per call, the conv1d,
gru and lstm layers keeping their state between calls. ctnn's equivalent is a sequence model,
ctnn::Seq<ctnn::Input<C, T>, ...>, run by ctnn::Stream<Net> one step at a time (the T plays no
part in a stream; it is the length the whole-sequence forward() takes, --length, 64 by default,
or the convolutions' reach plus one if that is longer):

    dense, time-distributed-dense   ctnn::Conv1D<In, Out, 1> (a Linear on each step; with --flat
                                    ctnn::Linear<In, Out>): kernel [In][Out] -> weight [Out, In, 1]
    conv1d (kernel_size K,          ctnn::Conv1D<In, Out, K, ctnn::Dilation<d>, ctnn::Groups<g>>:
      dilation d, groups g)         kernel [K][In/g][Out] -> weight [Out, In/g, K], taps in the
                                    same order (the last tap is the current step), causal as
                                    RTNeural streams it: a stream keeps (K - 1) d past inputs
    gru                             ctnn::GRU<In, H>: Keras's gates z, r, h become PyTorch's
                                    r, z, n; bias [2][3H] (reset_after=True) -> bias_ih, bias_hh
    lstm                            ctnn::LSTM<In, H>: gates i, f, c, o are PyTorch's i, f, g, o;
                                    the bias [4H] -> bias_ih, with bias_hh zero
    prelu                           ctnn::PReLU<C> (one slope per channel) or ctnn::PReLU<1>
    batchnorm (epsilon e)           ctnn::BatchNorm1d<C>: [gamma, beta, mean, variance], or
                                    [mean, variance] (gamma 1, beta 0); ctnn's epsilon is 1e-5,
                                    so running_var is stored as variance + e - 1e-5
    activation, and the             ctnn::Tanh, ctnn::ReLU, ctnn::Sigmoid, ctnn::ELU (alpha 1,
      "activation" of dense and     as RTNeural), ctnn::Softmax (over each step's values: with
      conv1d layers                 --flat only)

Each ctnn layer takes a position, activations too, and its tensors are named as PyTorch's
nn.Sequential would name them ("0.weight", "1.weight_ih_l0", ...). The file's metadata holds
"ctnn.signature", the layer list ctnn's strict loader compares with the model type: declare
the Seq exactly as printed.

--flat: a model without conv1d, gru or lstm has no state, and can be a plain multilayer
perceptron on vectors of C values (ctnn::Seq<ctnn::Linear<...>, ...>, starting with
ctnn::Input<C> if its first layer is not a dense one), run with forward() on one frame or on a
batch of frames. Softmax needs it: ctnn::Softmax is over a whole sample.

A file that cannot be read or is not JSON, and what the tool does not convert, is a one-line
"error: <file>: layer <i> (<type>): ..." on stderr (no traceback) and exit status 1: conv2d and
batchnorm2d (RTNeural's streamed 2-D convolution has no ctnn equivalent), a conv1d with a stride
other than 1 or an unknown padding ("causal", "valid" and "same" all run causally, in RTNeural
as in the stream), a GRU bias of [3H] (Keras's reset_after=False, another equation), a dense
layer without bias, activations RTNeural does not know, softmax in a sequence model, weights
whose shape does not fit the layer or the size the layer before gives, values that are not
finite float32s, --length shorter than the convolutions' reach plus one, and layer types
RTNeural does not know (its loader skips them silently: --skip-unknown does the same for those
without weights, with a note). A GRU's or LSTM's "activation" ("tanh") is its cell's, as in
RTNeural; the "activation" of prelu and batchnorm layers, which RTNeural's loader ignores, is
ignored with a note.
"""
import argparse
import json
import math
import os
import struct
import sys

ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "elu": "ELU", "softmax": "Softmax"}
KNOWN_TYPES = ("dense", "time-distributed-dense", "conv1d", "gru", "lstm", "prelu", "batchnorm", "activation",
               "conv2d", "batchnorm2d")
STATEFUL = ("conv1d", "gru", "lstm")
CTNN_EPS = 1e-5  # ctnn::BatchNorm1d's epsilon (PyTorch's default)
DEFAULT_LENGTH = 64


class Refused(Exception):
    """A model, or an option, the tool does not convert: the message says why, on one line."""


def fail(message):
    raise Refused(message)


def one_line(text):
    return " ".join(str(text).split())


def dims_text(shape):
    return "".join(f"[{n}]" for n in shape) if shape else "a number"


def shape_of(value):
    """The shape of a nested list ([] for a number), or None if it is ragged or holds anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return []
    if not isinstance(value, list):
        return None
    if not value:
        return [0]
    inner = [shape_of(v) for v in value]
    if any(s is None for s in inner) or any(s != inner[0] for s in inner):
        return None
    return [len(value)] + inner[0]


def describe(value):
    shape = shape_of(value)
    if shape is not None:
        return dims_text(shape) if shape else "a number"
    if isinstance(value, list):
        return "a ragged list (rows of different lengths, or not only numbers)"
    return f"a {type(value).__name__}" if value is not None else "null"


def f32_value(x, what):
    """x as the float32 it will be stored as; refuses NaN, infinities and floats beyond float32's range."""
    if not math.isfinite(x):
        fail(f"{what} is {x}; a model with non-finite weights is refused")
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        fail(f"{what} is {x!r}, beyond the float32 range")


def array(value, shape, what, expected, hint=""):
    """The flat list of a nested list of exactly `shape`, every element a finite float32."""
    found = shape_of(value)
    if found != list(shape):
        transposed = found is not None and len(found) == 2 and found == list(reversed(shape)) and shape[0] != shape[1]
        fail(f"{what} must be {dims_text(shape)} ({expected}), found {describe(value)}"
             + (" (transposed?)" if transposed else "") + hint)
    flat = []

    def walk(v, index):
        if isinstance(v, list):
            for k, item in enumerate(v):
                walk(item, index + [k])
        else:
            flat.append(f32_value(float(v), f"{what}{dims_text(index)}"))

    walk(value, [])
    return flat


def values(n):
    return f"{n} value{'s' if n != 1 else ''}"


def items(weights):
    """How a wrong "weights" is described: its number of items, or what it is."""
    return f"{len(weights)} items" if isinstance(weights, list) else describe(weights)


def positive_int(value, what, allow_list=True):
    """A positive integer, or (as Keras writes kernel_size and dilation_rate) a list ending with one."""
    if allow_list and isinstance(value, list) and value:
        value = value[-1]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        fail(f"{what} must be a positive integer{' (or a list ending with one, as [3])' if allow_list else ''}, "
             f"found {json.dumps(value)}")
    return int(value)


class Layer:
    """A ctnn layer: its name in "ctnn.signature", its C++ spelling, and its tensors."""

    def __init__(self, name, args=(), options=(), tensors=()):
        self.name = name
        self.token = name + (f"<{','.join([str(a) for a in args] + ['ctnn::' + o for o in options])}>" if args else "")
        self.cpp = f"ctnn::{name}" + (f"<{', '.join([str(a) for a in args] + ['ctnn::' + o for o in options])}>"
                                      if args else "")
        self.tensors = list(tensors)  # (name, dtype, shape, flat values)


def f32_tensor(name, shape, values):
    assert len(values) == math.prod(shape), name
    return (name, "F32", list(shape), values)


class Converter:
    def __init__(self, flat):
        self.flat = flat
        self.layers = []  # ctnn layers, in order (each takes a position)
        self.reach = 0  # steps the convolutions reach back, together
        self.stateful_at = None  # (index, type) of the first conv1d, gru or lstm

    @property
    def position(self):
        return len(self.layers)

    def add(self, layer):
        self.layers.append(layer)

    def activation(self, what, name, source):
        """The activation `name` ("" for none) after a layer, or from an "activation" layer."""
        if name == "":
            return
        if name not in ACTIVATIONS:
            fail(f"{what}: {source} {json.dumps(name)} is not one RTNeural's loader knows "
                 f"({', '.join(ACTIVATIONS)}, or \"\" for none)")
        if name == "softmax" and not self.flat:
            why = (f" (its layer {self.stateful_at[0]} is a {self.stateful_at[1]}, so it has no flat form)"
                   if self.stateful_at else
                   ": the model has no conv1d, gru or lstm, so convert it with --flat, where ctnn::Softmax is "
                   "over each frame")
            fail(f"{what}: softmax over each time step's values is not a layer ctnn::Stream runs" + why)
        self.add(Layer(ACTIVATIONS[name]))

    def dense(self, what, size, out, weights, flat):
        if not isinstance(weights, list) or len(weights) != 2:
            fail(f"{what}: \"weights\" must be [kernel, bias] (Keras's Dense with use_bias=True, as RTNeural's "
                 f"loader reads it), found {items(weights)}")
        kernel = array(weights[0], [size, out], f"{what}: weights[0]",
                       f"the kernel, input size x output size as Keras stores it: the layer gets {values(size)} "
                       f"and its \"shape\" says {out}")
        bias = array(weights[1], [out], f"{what}: weights[1]", "the bias, one per output")
        p = self.position
        weight = [kernel[i * out + o] for o in range(out) for i in range(size)]  # [Out][In]
        if flat:
            self.add(Layer("Linear", (size, out),
                           tensors=[f32_tensor(f"{p}.weight", [out, size], weight), f32_tensor(f"{p}.bias", [out], bias)]))
        else:
            self.add(Layer("Conv1D", (size, out, 1),
                           tensors=[f32_tensor(f"{p}.weight", [out, size, 1], weight),
                                    f32_tensor(f"{p}.bias", [out], bias)]))

    def conv1d(self, what, size, out, layer, weights):
        for key in ("kernel_size", "dilation"):
            if key not in layer:
                fail(f"{what}: no \"{key}\" (RTNeural's loader requires it, e.g. [3])")
        k = positive_int(layer["kernel_size"], f"{what}: \"kernel_size\"")
        d = positive_int(layer["dilation"], f"{what}: \"dilation\"")
        g = positive_int(layer.get("groups", 1), f"{what}: \"groups\"")
        for key in ("strides", "stride"):
            if key in layer and positive_int(layer[key], f"{what}: \"{key}\"") != 1:
                fail(f"{what}: \"{key}\" {json.dumps(layer[key])}; RTNeural and ctnn::Stream run a conv1d with "
                     f"one output per input step (stride 1)")
        if "padding" in layer:
            padding = layer["padding"]
            if padding not in ("causal", "valid", "same"):
                fail(f"{what}: \"padding\" {json.dumps(padding)}; expected \"causal\", \"valid\" or \"same\"")
            if padding == "same":
                print(f"note: {what}: padding \"same\" is ignored, as RTNeural ignores it: the layer runs causally, "
                      f"each output from the current step and the {(k - 1) * d} before it", file=sys.stderr)
        if size % g or out % g:
            fail(f"{what}: {g} groups do not divide its {size} input channels and {out} output channels")
        if not isinstance(weights, list) or len(weights) != 2:
            fail(f"{what}: \"weights\" must be [kernel, bias], found {items(weights)}")
        kernel = array(weights[0], [k, size // g, out], f"{what}: weights[0]",
                       f"the kernel, kernel_size x input channels{' / groups' if g > 1 else ''} x output channels "
                       f"as Keras stores it: kernel_size {k}, {size} input channels{f', {g} groups' if g > 1 else ''}, "
                       f"{out} outputs as its \"shape\" says")
        bias = array(weights[1], [out], f"{what}: weights[1]", "the bias, one per output channel")
        cin = size // g
        # Keras's kernel[j][c][o] is PyTorch's weight[o][c][j]: tap j multiplies the input
        # (K - 1 - j) d steps back, in RTNeural's stream as in a causal nn.Conv1d.
        weight = [kernel[(j * cin + c) * out + o] for o in range(out) for c in range(cin) for j in range(k)]
        options = ([f"Dilation<{d}>"] if d != 1 else []) + ([f"Groups<{g}>"] if g != 1 else [])
        p = self.position
        self.add(Layer("Conv1D", (size, out, k), options,
                       [f32_tensor(f"{p}.weight", [out, cin, k], weight), f32_tensor(f"{p}.bias", [out], bias)]))
        self.reach += (k - 1) * d

    def recurrent(self, what, kind, size, hidden, weights):
        gates = 3 if kind == "gru" else 4
        names = "z, r, h" if kind == "gru" else "i, f, c, o"
        if not isinstance(weights, list) or len(weights) != 3:
            fail(f"{what}: \"weights\" must be [kernel, recurrent kernel, bias], found {items(weights)}")
        cols = gates * hidden
        kernel = array(weights[0], [size, cols], f"{what}: weights[0]",
                       f"the kernel, input size x {gates} units as Keras stores it, gates {names}: the layer gets "
                       f"{values(size)} and its \"shape\" says {hidden} units")
        recurrent = array(weights[1], [hidden, cols], f"{what}: weights[1]",
                          f"the recurrent kernel, units x {gates} units, gates {names}")
        if kind == "gru":
            if shape_of(weights[2]) == [cols]:
                fail(f"{what}: weights[2] is one bias of [{cols}], a Keras GRU with reset_after=False, whose "
                     f"candidate state applies the reset gate before the recurrent product; RTNeural and ctnn compute "
                     f"reset_after=True (bias [2][{cols}]: input and recurrent biases)")
            bias = array(weights[2], [2, cols], f"{what}: weights[2]", "input and recurrent biases, gates z, r, h")
            # Keras z, r, h -> PyTorch r, z, n: the first two blocks swap.
            order = [1, 0, 2]
        else:
            bias = array(weights[2], [cols], f"{what}: weights[2]", "the bias, gates i, f, c, o")
            order = [0, 1, 2, 3]  # i, f, c, o is PyTorch's i, f, g, o

        def rows(matrix, inputs):  # Keras [inputs][gates * hidden] -> PyTorch [gates * hidden][inputs]
            return [matrix[i * cols + g * hidden + j] for g in order for j in range(hidden) for i in range(inputs)]

        def gate_order(vector):
            return [vector[g * hidden + j] for g in order for j in range(hidden)]

        if kind == "gru":
            bias_ih, bias_hh = gate_order(bias[:cols]), gate_order(bias[cols:])
        else:
            bias_ih, bias_hh = gate_order(bias), [0.0] * cols
        p = self.position
        self.add(Layer("GRU" if kind == "gru" else "LSTM", (size, hidden), tensors=[
            f32_tensor(f"{p}.weight_ih_l0", [cols, size], rows(kernel, size)),
            f32_tensor(f"{p}.weight_hh_l0", [cols, hidden], rows(recurrent, hidden)),
            f32_tensor(f"{p}.bias_ih_l0", [cols], bias_ih),
            f32_tensor(f"{p}.bias_hh_l0", [cols], bias_hh)]))

    def prelu(self, what, size, weights):
        if not isinstance(weights, list) or len(weights) != 1:
            fail(f"{what}: \"weights\" must be [alpha] with alpha [1][{size}] (one slope per channel) or [1][1], "
                 f"found {items(weights)}")
        found = shape_of(weights[0])
        slopes = found[1] if found and len(found) == 2 and found[0] == 1 and found[1] in (1, size) else size
        alpha = array(weights[0], [1, slopes], f"{what}: weights[0]",
                      f"alpha: one slope for each of its {size} channels, or [1][1] for one shared slope, as "
                      f"RTNeural reads weights[0][0]")
        p = self.position
        self.add(Layer("PReLU", (slopes,), tensors=[f32_tensor(f"{p}.weight", [slopes], alpha)]))

    def batchnorm(self, what, size, layer, weights):
        if not isinstance(weights, list) or len(weights) not in (2, 4):
            fail(f"{what}: \"weights\" must be [gamma, beta, moving_mean, moving_variance] or, without scale and "
                 f"center, [moving_mean, moving_variance], found {items(weights)}")
        if "epsilon" not in layer:
            fail(f"{what}: no \"epsilon\" (RTNeural's loader requires it: Keras's default is 0.001)")
        eps = layer["epsilon"]
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps < 0:
            fail(f"{what}: \"epsilon\" must be a number >= 0, found {json.dumps(eps)}")
        names = ["gamma", "beta", "moving_mean", "moving_variance"] if len(weights) == 4 else ["moving_mean",
                                                                                                "moving_variance"]
        stats = {n: array(w, [size], f"{what}: weights[{i}]", f"{n}, one per channel of the {size} it gets")
                  for i, (n, w) in enumerate(zip(names, weights))}
        gamma = stats.get("gamma", [1.0] * size)
        beta = stats.get("beta", [0.0] * size)
        variance = stats["moving_variance"]
        for c, v in enumerate(variance):
            if not v + eps > 0:
                fail(f"{what}: channel {c}: moving_variance {v} + epsilon {eps} is not positive")
        # ctnn divides by sqrt(running_var + 1e-5): store variance + epsilon - 1e-5.
        running_var = [f32_value(float(v) + float(eps) - CTNN_EPS, f"{what}: channel {c}'s variance + epsilon - 1e-5")
                       for c, v in enumerate(variance)]
        p = self.position
        self.add(Layer("BatchNorm1d", (size,), tensors=[
            f32_tensor(f"{p}.weight", [size], gamma), f32_tensor(f"{p}.bias", [size], beta),
            f32_tensor(f"{p}.running_mean", [size], stats["moving_mean"]),
            f32_tensor(f"{p}.running_var", [size], running_var),
            (f"{p}.num_batches_tracked", "I64", [], [0])]))


def last_dim(value, what, key):
    """RTNeural's size of a "shape" or "in_shape": its last entry. `what` names the layer ("" for in_shape)."""
    if not isinstance(value, list) or not value:
        fail(f"{what}\"{key}\" must be a list such as [null, null, 8] (its last entry is the size), "
             f"found {json.dumps(value)}")
    return positive_int(value[-1], f"{what}the last entry of \"{key}\"", allow_list=False)


def convert(model, flat, skip_unknown):
    """(input channels, output channels, Converter holding the ctnn layers) for an RTNeural model dict."""
    if not isinstance(model, dict):
        fail(f"expected a JSON object with \"in_shape\" and \"layers\", found {describe(model)}")
    for key in ("in_shape", "layers"):
        if key not in model:
            fail(f"no \"{key}\": an RTNeural model is {{\"in_shape\": [null, null, C], \"layers\": [...]}}")
    layers = model["layers"]
    if not isinstance(layers, list) or not layers:
        fail(f"\"layers\" must be a non-empty list, found {json.dumps(layers)[:40]}")
    for i, layer in enumerate(layers):
        kind = layer.get("type") if isinstance(layer, dict) else None
        if kind in ("conv2d", "batchnorm2d"):
            fail(f"layer {i} ({kind}): RTNeural's {kind} works on frames of features x filters under a 2-D convolution "
                 f"streamed over time, which ctnn has no streaming layer for")
    if isinstance(model["in_shape"], list) and len(model["in_shape"]) == 4:
        fail(f"\"in_shape\" {json.dumps(model['in_shape'])} has four entries: a conv2d model (time x features x "
             f"filters), which ctnn cannot stream")
    channels = last_dim(model["in_shape"], "", "in_shape")
    conv = Converter(flat)
    for i, layer in enumerate(layers):
        if isinstance(layer, dict) and isinstance(layer.get("type"), str) and layer["type"] in STATEFUL:
            conv.stateful_at = conv.stateful_at or (i, layer["type"])
    size = channels
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            fail(f"layer {i}: expected an object with \"type\", \"shape\" and \"weights\", found {describe(layer)}")
        kind = layer.get("type")
        if not isinstance(kind, str):
            fail(f"layer {i}: \"type\" must be a string such as \"dense\", found {json.dumps(kind)}")
        what = f"layer {i} ({kind})"
        weights = layer.get("weights", [] if kind == "activation" else None)
        if kind not in KNOWN_TYPES:
            if skip_unknown and weights in ([], None):
                print(f"note: {what}: a layer type RTNeural's loader does not know, without weights: skipped, as "
                      f"RTNeural skips it", file=sys.stderr)
                continue
            fail(f"{what}: unknown layer type; RTNeural's loader knows {', '.join(KNOWN_TYPES)} (and skips others, "
                 f"computing the model without them: --skip-unknown does the same for layers without weights, such "
                 f"as a Keras Dropout)")
        if weights is None:
            fail(f"{what}: no \"weights\"")
        if "shape" not in layer:
            fail(f"{what}: no \"shape\" (its last entry is the layer's size)")
        dims = last_dim(layer["shape"], f"{what}: ", "shape")
        act = layer.get("activation", "")
        if not isinstance(act, str):
            fail(f"{what}: \"activation\" must be a string, found {json.dumps(act)}")
        if kind in STATEFUL and flat:
            fail(f"{what}: a {kind} keeps state from step to step, so the model has no flat form: convert it "
                 f"without --flat, as a sequence model for ctnn::Stream")
        if kind in ("dense", "time-distributed-dense"):
            conv.dense(what, size, dims, weights, flat)
            conv.activation(what, act, "its \"activation\"")
        elif kind == "conv1d":
            conv.conv1d(what, size, dims, layer, weights)
            conv.activation(what, act, "its \"activation\"")
        elif kind in ("gru", "lstm"):
            conv.recurrent(what, kind, size, dims, weights)
            if act not in ("", "tanh"):
                print(f"note: {what}: \"activation\" {json.dumps(act)} ignored: RTNeural's {kind} (and ctnn's) "
                      f"uses tanh, with sigmoid gates", file=sys.stderr)
        else:  # prelu, batchnorm, activation: per step, the size unchanged
            if dims != size:
                fail(f"{what}: its \"shape\" says {values(dims)}, but the layer before gives {size}")
            if kind == "activation":
                if weights not in ([], None):
                    fail(f"{what}: an activation has no weights, found {describe(weights)}")
                conv.activation(what, act, "\"activation\"")
            else:
                if act:
                    print(f"note: {what}: \"activation\" {json.dumps(act)} ignored, as RTNeural's loader ignores it "
                          f"after a {kind} layer", file=sys.stderr)
                if kind == "prelu":
                    conv.prelu(what, size, weights)
                else:
                    conv.batchnorm(what, size, layer, weights)
        size = dims
    if not conv.layers:
        fail("the model has no layer that computes anything")
    return channels, size, conv


def write_safetensors(path, layers, metadata):
    """The format: u64 little-endian header length, JSON header (8-byte aligned), then the raw data."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for layer in layers:
        for name, dtype, shape, values in layer.tensors:
            data = struct.pack(f"<{len(values)}{'f' if dtype == 'F32' else 'q'}", *values)
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    partial = path + ".partial"
    try:
        with open(partial, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for b in blobs:
                f.write(b)
        os.replace(partial, path)
    except OSError as e:
        try:
            os.remove(partial)
        except OSError:
            pass
        fail(f"cannot write {path}: {e.strerror or e}")


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        print(f"error: {one_line(message)} (see --help)", file=sys.stderr)
        sys.exit(1)


def main():
    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="RTNeural's JSON model")
    ap.add_argument("output", help="the safetensors file to write")
    ap.add_argument("--length", type=int, help=f"T of ctnn::Input<C, T>, the length whole-sequence forward() takes "
                                               f"(default {DEFAULT_LENGTH}, or the convolutions' reach + 1 if longer); "
                                               f"a ctnn::Stream runs for ever whatever it is")
    ap.add_argument("--flat", action="store_true", help="a model without conv1d, gru or lstm as a plain multilayer "
                                                        "perceptron on frames of C values (needed for softmax)")
    ap.add_argument("--skip-unknown", action="store_true", help="skip layers of types RTNeural does not know that "
                                                                "have no weights, as RTNeural's loader does")
    args = ap.parse_args()
    if args.flat and args.length is not None:
        fail("--length is the sequence length of ctnn::Input<C, T>; a --flat model has none")
    if args.length is not None and args.length < 1:
        fail(f"--length {args.length}: at least 1")

    try:
        with open(args.model, "rb") as f:
            raw = f.read()
    except OSError as e:
        fail(f"{args.model}: cannot open: {e.strerror or e}")
    try:
        model = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        fail(f"{args.model}: is not valid JSON: not UTF-8 ({e.reason} at byte {e.start})")
    except json.JSONDecodeError as e:
        fail(f"{args.model}: is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
    except RecursionError:
        fail(f"{args.model}: is not valid JSON: nested too deeply")

    try:
        channels, outputs, conv = convert(model, args.flat, args.skip_unknown)
    except Refused as e:
        fail(f"{args.model}: {e}")
    layers = conv.layers
    tokens = [layer.token for layer in layers]
    cpp = [layer.cpp for layer in layers]
    if args.flat:
        if not tokens[0].startswith("Linear<"):
            tokens.insert(0, f"Input<{channels}>")
            cpp.insert(0, f"ctnn::Input<{channels}>")
    else:
        length = args.length
        if length is None:
            length = max(DEFAULT_LENGTH, conv.reach + 1)
            if length > DEFAULT_LENGTH:
                print(f"note: the convolutions reach back {conv.reach} steps: ctnn::Input<{channels}, {length}>, "
                      f"the shortest sequence whole-sequence forward() takes", file=sys.stderr)
        elif length < conv.reach + 1:
            fail(f"{args.model}: --length {length}: the convolutions reach back {conv.reach} steps, so the "
                 f"whole-sequence forward() needs sequences of at least {conv.reach + 1} (a stream runs any length)")
        tokens.insert(0, f"Input<{channels},{length}>")
        cpp.insert(0, f"ctnn::Input<{channels}, {length}>")
    signature = ",".join(tokens)
    write_safetensors(args.output, layers, {"format": "pt", "ctnn.signature": signature})

    print(f"using Net = ctnn::Seq<{', '.join(cpp)}>;")
    print(f"// Net net; ctnn::io::load_safetensors(net, \"{os.path.basename(args.output)}\");  "
          f"// <ctnn/io/safetensors.hpp>")
    if args.flat:
        print(f"// net.forward(x, y);  // one frame, {values(channels)} in, {values(outputs)} out, as RTNeural's "
              f"model.forward; a batch of frames with a ctnn::InferenceScratch<Net>")
    else:
        print(f"// ctnn::Stream<Net> stream;  // the state RTNeural's model keeps; stream.reset() as model.reset()")
        print(f"// stream.step(net, x, y);  // one time step, {values(channels)} in, {values(outputs)} out, as "
              f"RTNeural's model.forward; stream.process(net, xs, ys) for a block of steps, time-major")
        if any(layer.name in ("GRU", "LSTM") for layer in layers):
            print("// ctnn::StreamModel<Net> prepared(net);  // once, after loading; stream.step(prepared, x, y) steps "
                  "faster on AVX2: GRUs of 16 to 64 units (multiples of 8), LSTMs of 8 to 64 (even)")


def run():
    try:
        main()
    except Refused as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - a bug of this tool: still one line, no traceback
        print(f"error: internal error of rtneural_to_safetensors.py: {type(e).__name__}: {one_line(e)}",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    run()

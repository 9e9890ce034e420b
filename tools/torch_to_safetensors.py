#!/usr/bin/python3
"""Exports a PyTorch nn.Sequential (a multilayer perceptron, a convolutional network on images or
on sequences, a TCN of residual blocks) to a safetensors file that ctnn::io::load_safetensors
reads, and prints the matching ctnn::Seq declaration.

Needs only Debian's python3-torch (apt-get install python3-torch; run with /usr/bin/python3):
the safetensors format is written by hand, no `safetensors` package.

    # a model saved with torch.save(model) (the whole nn.Sequential)
    /usr/bin/python3 tools/torch_to_safetensors.py model.pt model.safetensors
    # a convolutional network needs its input shape, channels x height x width
    /usr/bin/python3 tools/torch_to_safetensors.py --input 1,28,28 lenet.pt lenet.safetensors
    # a state_dict saved with torch.save(model.state_dict()): give the layers
    /usr/bin/python3 tools/torch_to_safetensors.py --layers "Linear(784,256),ReLU,Linear(256,10)" \\
        weights.pt model.safetensors
    /usr/bin/python3 tools/torch_to_safetensors.py --input 1,28,28 \\
        --layers "Conv2d(1,6,5),ReLU,MaxPool2d(2),Flatten,Linear(864,10)" weights.pt lenet.safetensors
    # a 1-D convolutional network on sequences: --input channels,length
    /usr/bin/python3 tools/torch_to_safetensors.py --input 2,16 \\
        --layers "Conv1d(2,4,3,padding=1),ReLU,Conv1d(4,4,3,stride=2),Flatten,Linear(28,5)" weights.pt seq.safetensors
    # ... with transposed convolutions (upsampling): ConvTranspose1d (stride, padding, output_padding, ...)
    /usr/bin/python3 tools/torch_to_safetensors.py --input 2,12 \\
        --layers "Conv1d(2,4,3,stride=2),ReLU,ConvTranspose1d(4,4,4,stride=2,padding=1,output_padding=1,groups=2),Flatten,Linear(44,5)" \\
        weights.pt upsample.safetensors
    # ... with 1-D pooling: MaxPool1d and AvgPool1d (kernel, stride, padding)
    /usr/bin/python3 tools/torch_to_safetensors.py --input 2,16 \\
        --layers "Conv1d(2,4,3,padding=1),ReLU,MaxPool1d(3,stride=2,padding=1),AvgPool1d(2),Flatten,Linear(16,5)" \\
        weights.pt seq.safetensors
    # recurrent layers on sequences of 1 channel by 64 steps, then a Linear on each step (a 1x1 Conv1d)
    /usr/bin/python3 tools/torch_to_safetensors.py --input 1,64 --layers "GRU(1,8),Conv1d(8,1,1)" \\
        weights.pt gru.safetensors
    # residual blocks (tools/ctnn_modules.py's Residual): a TCN saved whole, or a state_dict with --layers
    /usr/bin/python3 tools/torch_to_safetensors.py --input 2,16 tcn.pt tcn.safetensors
    /usr/bin/python3 tools/torch_to_safetensors.py --input 2,16 \\
        --layers "Residual(main=[Conv1d(2,4,3,dilation=2),PReLU(4)],shortcut=[Conv1d(2,4,1)]),ReLU,Conv1d(4,1,1)" \\
        weights.pt tcn.safetensors
    # batch normalisation and dropout keep their positions (the names stay the state_dict's)
    /usr/bin/python3 tools/torch_to_safetensors.py --input 1,28,28 \\
        --layers "Conv2d(1,6,5),BatchNorm2d(6),ReLU,Dropout2d(0.25),MaxPool2d(2),Flatten,Linear(864,10)" \\
        weights.pt bn.safetensors
    # a freshly initialised model (PyTorch's default init, seeded), with test inputs and outputs
    /usr/bin/python3 tools/torch_to_safetensors.py --layers "Linear(13,17),Tanh,Linear(17,5)" --seed 1 \\
        --samples 8 --outputs small.txt small.safetensors

Supported layers: Linear (with or without bias), Conv2d (stride, padding, padding='same',
dilation, groups, rectangular kernels, bias=False; zero padding only), Conv1d (on C x T
sequences: stride, padding, padding='same' (even kernels too), dilation, groups, bias=False;
zero padding only), ConvTranspose1d (C x T sequences: stride, padding, output_padding, dilation,
groups, bias=False; zero padding only, output_padding < stride + padding; see below), MaxPool2d
and AvgPool2d (images), MaxPool1d and AvgPool1d (C x T sequences) (kernel, stride, padding;
floor mode only: ceil_mode=True, count_include_pad=False, divisor_override, the max pools'
dilation and return_indices=True are refused),
AdaptiveAvgPool2d(1) (ctnn's GlobalAvgPool2D; other output sizes are refused), Flatten, ReLU,
Tanh, Sigmoid, LeakyReLU, ELU, PReLU, GELU, Softmax (over a flat sample), BatchNorm2d (images),
BatchNorm1d (feature vectors or C x L sequences), Dropout and Dropout2d (images), GRU and LSTM
(C x T sequences, see below), Residual (tools/ctnn_modules.py, of any of these; see below). A Linear
without bias becomes ctnn::Linear<In, Out, ctnn::NoBias>. Conv2d's options are written in the
order KernelWidth, Stride, Padding or SamePadding, Dilation, Groups, NoBias (Conv1d's in the
same order, each with one value: ctnn::Conv1D<4, 4, 3, ctnn::Stride<2>, ctnn::Dilation<2>,
ctnn::Groups<2>, ctnn::NoBias>; ConvTranspose1d's Stride, Padding, OutputPadding, Dilation, Groups,
NoBias), the pools' in the order KernelWidth, Stride (only if it is not
the kernel), Padding (the 1-D pools' with one value each and no KernelWidth:
nn.MaxPool1d(3, stride=2, padding=1) is ctnn::MaxPool1D<3, ctnn::Stride<2>, ctnn::Padding<1>>,
nn.AvgPool1d(2, stride=2) is ctnn::AvgPool1D<2>): declare the C++ type as printed, since the
file's "ctnn.signature" must spell it exactly. AdaptiveMaxPool1d, AdaptiveAvgPool1d and LPPool1d
are refused (over a known length T, AdaptiveAvgPool1d(1) is AvgPool1d(T)).

ConvTranspose1d: nn.ConvTranspose1d(In, Out, K, stride=2, padding=1, output_padding=1, groups=2)
becomes ctnn::ConvTranspose1D<In, Out, K, ctnn::Stride<2>, ctnn::Padding<1>, ctnn::OutputPadding<1>,
ctnn::Groups<2>>, output length (T - 1) stride - 2 padding + dilation (K - 1) + output_padding + 1;
its tensors keep PyTorch's shapes, weight [In, Out / groups, K] and bias [Out]. PyTorch allows an
output_padding below the stride or the dilation; ctnn's must also be below stride + padding, so
the larger ones a dilation allows are refused, and so are padding modes other than zeros and
padding='same' (which nn.ConvTranspose1d does not have either). ConvTranspose2d and
ConvTranspose3d are refused (ctnn's transposed convolution is on sequences only).

GRU and LSTM: nn.GRU(In, Hidden) and nn.LSTM(In, Hidden) become ctnn::GRU<In, Hidden> and
ctnn::LSTM<In, Hidden> (one layer, unidirectional, with biases: num_layers > 1, bidirectional=True,
bias=False and proj_size are refused; dropout does nothing in one layer). ctnn stores a sample
as C x T (channels by time, as Conv1d does), the transpose of the (T, C) that a batch_first
nn.GRU takes; its output is every step's hidden state, Hidden x T, PyTorch's output[0]
transposed, so a Conv1d, BatchNorm1d or Flatten can follow (a Linear on each step is
Conv1d(Hidden, Out, 1), weight [Out, Hidden, 1]). batch_first=False is accepted (the weights are
the same). The tensors keep PyTorch's names, "<position>.weight_ih_l0", weight_hh_l0,
bias_ih_l0, bias_hh_l0. nn.Sequential cannot chain an nn.GRU (it returns a tuple), so such a
model usually comes as a state_dict with --layers "GRU(1,8),Conv1d(8,1,1)" and --input C,T; its
keys must be the positions of the list ("0.weight_ih_l0", "1.weight"), so rename a custom
nn.Module's ("gru.weight_ih_l0", "fc.weight") and unsqueeze(-1) a per-step Linear's weight. The
--outputs are computed layer by layer, a recurrent layer's input transposed to (N, T, C) and
output[0] back to (N, Hidden, T).

Residual: tools/ctnn_modules.py's Residual(main, shortcut=None), y = main(x) + shortcut(x), both
paths nn.Sequential (its doc shows a TCN block), becomes ctnn::Residual<main layers...,
ctnn::Shortcut<shortcut layers...>> (no Shortcut for the identity): nn.Sequential(Residual(
nn.Sequential(nn.Conv1d(2, 4, 3, dilation=2), nn.PReLU(4), nn.BatchNorm1d(4)), nn.Sequential(
nn.Conv1d(2, 4, 1)))) is ctnn::Residual<ctnn::Conv1D<2, 4, 3, ctnn::Dilation<2>>, ctnn::PReLU<4>,
ctnn::BatchNorm1d<4>, ctnn::Shortcut<ctnn::Conv1D<2, 4, 1>>>. Its tensors keep the state_dict's
names, "0.main.0.weight", "0.main.2.running_mean", "0.shortcut.0.bias". Each inner layer is
spelled and checked as a layer of the model, named by its place ("layer 0.main.1"); the main
path's output and the shortcut's must be equal in shape, or sequences of the same channels with
the main path no longer in time (convolutions without padding): ctnn adds the shortcut's last
steps. A torch.save'd model needs the class importable when loaded: this script imports
ctnn_modules.Residual (a copy of the class defined in the training script, __main__.Residual,
loads as it too); another class named Residual is refused. In --layers, a block is
Residual(main=[layers...],shortcut=[layers...]) (shortcut= optional) or ctnn's
Residual<layers...,Shortcut<layers...>>, the layers of each path written as in the list.

The input shape: --input C,H,W (or N for a flat input, C,T for sequences: channels, length) is
required when the model has a convolution, a pooling layer, BatchNorm2d, Dropout2d, GRU or LSTM:
C,H,W for images (Conv2d, the 2-D pools), C,T for sequences (Conv1d, ConvTranspose1d, MaxPool1d,
AvgPool1d, GRU, LSTM), a Residual's layers included. The
declaration then starts with ctnn::Input<C,H,W> (or ctnn::Input<C, T>), which takes no position
(the first layer is still "0.weight"). The --layers list may start with Input<C,H,W> or
Input<C,T> instead. Shapes are checked along the model as ctnn checks them at compile time: each
convolution's (or recurrent layer's) channels, a kernel (dilated) or a pooling window longer than
the padded input, a 2-D layer given a sequence or a 1-D one (or a GRU, LSTM) an image, a Linear
without a Flatten before it.

BatchNorm1d and BatchNorm2d become ctnn::BatchNorm1d<C> and ctnn::BatchNorm2d<C>: ctnn has
PyTorch's defaults only (affine=True, track_running_stats=True, eps=1e-5, momentum=0.1) and
refuses other settings. The file holds all five tensors of the state_dict: weight, bias,
running_mean and running_var in the chosen --dtype, and num_batches_tracked as an I64 scalar
(shape []), as ctnn writes and requires it.

Dropout(p) and Dropout2d(p) become ctnn::Dropout<N> and ctnn::Dropout2d<N> (p = N/100), or
<N,D> with the smallest D up to 1000 that gives p exactly: p=0.5 is Dropout<50>, p=0.125
Dropout<1,8>, p=1/3 Dropout<1,3>. They keep their position like every
ctnn layer. Any other p is refused, naming the layer and the nearest N/100; the choice does not
change the outputs (dropout is the identity at inference), only further training in ctnn. Identity, and the dropouts ctnn does not have
(Dropout1d, Dropout3d, AlphaDropout, FeatureAlphaDropout), compute nothing at inference and are
dropped, later positions renumbered as ctnn sees them.

Flatten is a ctnn layer: given an input shape (--input), it keeps its position, as in a
convolutional network, so that the tensor names stay those of the PyTorch state_dict: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)) with --input 1,28,28 is
ctnn::Seq<ctnn::Input<1,28,28>, ctnn::Flatten, ctnn::Linear<784, 10>>, tensors "1.weight". A
multilayer perceptron exported without --input keeps the former behaviour: it must start with
a Linear (after any leading Flatten), takes flat inputs, and its Flatten layers are dropped with
later positions renumbered: ctnn::Seq<ctnn::Linear<784, 10>>, tensors "0.weight".

--layers is the layer list of tools/safetensors_to_torch.py (see its doc): PyTorch's spelling
("Conv2d(1,6,5,stride=2,bias=False),ReLU,MaxPool2d(2),Flatten,Linear(216,10)"), ctnn's
("Input<1,28,28>,Conv2D<1,6,5,Stride<2>,NoBias>,ReLU,MaxPool2D<2>,Flatten,Linear<216,10>"), or a
mix.

--dtype F16, BF16 or F64 stores that type (ctnn converts it to float on load); the outputs
written by --outputs are then those of the model with its weights (and BatchNorm's running
statistics) rounded to that type. The model is exported and evaluated in eval mode: BatchNorm
normalises with its running statistics, Dropout is the identity, as in ctnn's forward().
The --outputs text file holds "inputs ROWS COLS" and "outputs ROWS COLS", each followed by the
values, one row per line (lines starting with # are comments); an image input is a row of its
C*H*W values in row-major order (a sequence: its C*T values, channel after channel), an output
the model's output flattened.

Bad input (a missing file, an unknown layer, a shape that does not fit, a wrong --input) is a
one-line "error: ..." on stderr and exit status 2.
"""
import argparse
import json
import math
import os
import re
import struct
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# tools/ctnn_modules.py; also what torch.load finds for a __main__.Residual (a copy in a training script).
from ctnn_modules import Residual  # noqa: E402
from safetensors_to_torch import (RECURRENT, ArgumentParser, apply_layer, fail, one_axis_pairs, one_line,  # noqa: E402
                                  parse_layers, run, shape_text)

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}
FILE_DTYPES = {**DTYPES, "I64": torch.int64}  # I64: BatchNorm's num_batches_tracked, always
# ctnn's dropouts: PyTorch's class -> ctnn's name. Other dropouts (and Identity) are dropped.
DROPOUTS = {nn.Dropout: "Dropout", nn.Dropout2d: "Dropout2d"}
DROPPED = (nn.modules.dropout._DropoutNd, nn.Identity)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
SPATIAL = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.BatchNorm2d, nn.Dropout2d)
POOLS_1D = (nn.MaxPool1d, nn.AvgPool1d)
SEQUENCE = (nn.Conv1d, nn.ConvTranspose1d) + POOLS_1D  # layers on C x T samples only
# What to use on a sequence instead, and on an image instead.
SEQUENCE_TWIN = {nn.Conv2d: "Conv1d", nn.BatchNorm2d: "BatchNorm1d", nn.MaxPool2d: "MaxPool1d",
                 nn.AvgPool2d: "AvgPool1d"}
IMAGE_TWIN = {nn.Conv1d: "Conv2d", nn.MaxPool1d: "MaxPool2d", nn.AvgPool1d: "AvgPool2d"}
# 1-D pooling ctnn does not have: refused by name.
MISSING_POOLS_1D = (nn.AdaptiveMaxPool1d, nn.AdaptiveAvgPool1d, nn.LPPool1d)
SUPPORTED = ("Linear, Conv2d, Conv1d, ConvTranspose1d, MaxPool2d, AvgPool2d, MaxPool1d, AvgPool1d, "
             "AdaptiveAvgPool2d(1), Flatten, ReLU, Tanh, Sigmoid, LeakyReLU, ELU, PReLU, GELU, Softmax, BatchNorm1d, "
             "BatchNorm2d, Dropout, Dropout2d, GRU, LSTM, Residual (tools/ctnn_modules.py; and drops Identity, "
             "Dropout1d, Dropout3d, AlphaDropout, FeatureAlphaDropout)")


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
    fail(f"{what} {value} is not a ratio N/D with D <= 100000")


def dropout_name(what, cls, p):
    """ctnn's spelling of a dropout probability, as the layer's cpp_name() prints it: Dropout<N>
    for p = N/100, else Dropout<N,D> with the smallest D <= 1000 (p = 1/3 is Dropout<1,3>),
    matching the Python float p exactly (ctnn's p is the double N/D); anything else is refused."""
    for d in [100] + list(range(1, 1001)):
        n = round(p * d)
        if 0 <= n <= d and n / d == p:
            return spelled(cls, (n,) if d == 100 else (n, d), [])
    n = min(max(round(p * 100), 0), 100)
    fail(f"{what}: p={p!r} is not N/D with D <= 1000, which ctnn::{cls}<N, D> spells; "
         f"set p={n / 100:g} (ctnn::{cls}<{n}>): dropout is the identity at inference, so the outputs do not change")


def pair(v):
    """PyTorch's int-or-tuple arguments as (height, width)."""
    return (v, v) if isinstance(v, int) else tuple(int(x) for x in v)


def single(v):
    """A 1-D layer's int-or-1-tuple size as an int."""
    return v if isinstance(v, int) else int(v[0])


def check_pool_modes(what, m, name, dilation):
    """Refuses the pooling modes ctnn lacks (1-D and 2-D alike); `dilation` is 1 or (1, 1) when none."""
    if m.ceil_mode:
        fail(f"{what}: ceil_mode=True; ctnn pools in floor mode only (ceil_mode=False)")
    if name.startswith("Max"):
        if dilation not in (1, (1, 1)):
            fail(f"{what}: ctnn's {name} has no dilation")
        if m.return_indices:
            fail(f"{what}: return_indices=True; ctnn's {name} returns the maxima only")
    else:
        if not m.count_include_pad:
            fail(f"{what}: count_include_pad=False; ctnn's {name} counts the padding as zeros "
                 f"(count_include_pad=True)")
        if getattr(m, "divisor_override", None) is not None:
            fail(f"{what}: divisor_override; ctnn's {name} divides by the window's size")


def option(name, hw, default):
    """["Stride<2>"] or ["Stride<2,1>"], [] for the default."""
    h, w = hw
    if (h, w) == default:
        return []
    return [f"{name}<{h}>" if h == w else f"{name}<{h},{w}>"]


def spelled(name, sizes, options):
    """(signature token, C++ type): ("Conv2D<1,6,5,ctnn::Stride<2>>", "ctnn::Conv2D<1, 6, 5, ctnn::Stride<2>>")."""
    args = [str(s) for s in sizes]
    token = f"{name}<{','.join(args + ['ctnn::' + o for o in options])}>" if args else name
    cpp = f"ctnn::{name}<{', '.join(args + ['ctnn::' + o for o in options])}>" if args else f"ctnn::{name}"
    return token, cpp


def recurrent_spelling(what, m):
    """ctnn::GRU<In, Hidden> or ctnn::LSTM<In, Hidden>: one unidirectional layer with biases."""
    name = type(m).__name__
    if m.num_layers != 1:
        fail(f"{what}: num_layers={m.num_layers}; ctnn's {name} is one layer and a stacked nn.{name}'s tensors "
             f"(weight_ih_l1, ...) do not map to ctnn's names: build the model from {m.num_layers} "
             f"nn.{name}(..., num_layers=1) layers, one ctnn::{name} each")
    if m.bidirectional:
        fail(f"{what}: bidirectional=True; ctnn's {name} runs forward in time only")
    if not m.bias:
        fail(f"{what}: bias=False; ctnn's {name} has the biases bias_ih_l0 and bias_hh_l0 (bias=True)")
    if getattr(m, "proj_size", 0):
        fail(f"{what}: proj_size={m.proj_size}; ctnn's LSTM has no projection (proj_size=0)")
    if not m.batch_first:
        print(f"note: {what}: batch_first=False; the weights are the same, and ctnn's {name} takes each sample as "
              f"{{C, T}} (channels by time, as a Conv1d does), the transpose of batch_first's (T, C)", file=sys.stderr)
    return spelled(name, (m.input_size, m.hidden_size), [])


def conv_transpose1d_spelling(what, m):
    """ctnn::ConvTranspose1D<In, Out, K, ...>, options in the order Stride, Padding, OutputPadding,
    Dilation, Groups, NoBias; refuses what ctnn's lacks: a padding mode other than zeros, and an
    output_padding not below stride + padding (which PyTorch allows with a larger dilation)."""
    if m.padding_mode != "zeros":
        fail(f"{what}: padding_mode={m.padding_mode!r}; ctnn pads with zeros only")
    sizes = (m.kernel_size, m.stride, m.padding, m.output_padding, m.dilation)
    if not all(type(x) is int for v in sizes for x in ((v,) if isinstance(v, int) else v)):
        fail(f"{what}: its sizes must be integers (nn.ConvTranspose1d has no padding='same', nor has ctnn's)")
    if pairs := one_axis_pairs(m):
        fail(f"{what}: several values for {pairs}; a ConvTranspose1d takes one (a sequence has one axis)")
    k, stride, padding, output_padding, dilation = (single(v) for v in sizes)
    if output_padding >= max(stride, dilation):
        fail(f"{what}: output_padding={output_padding} must be smaller than the stride ({stride}) or the dilation "
             f"({dilation}), in PyTorch as in ctnn")
    if output_padding >= stride + padding:
        fail(f"{what}: output_padding={output_padding}; ctnn's ConvTranspose1D takes an output_padding smaller "
             f"than stride + padding = {stride + padding} (PyTorch allows up to dilation - 1 = {dilation - 1}; "
             f"ctnn does not)")
    opts = [f"Stride<{stride}>"] if stride != 1 else []
    opts += [f"Padding<{padding}>"] if padding else []
    opts += [f"OutputPadding<{output_padding}>"] if output_padding else []
    opts += [f"Dilation<{dilation}>"] if dilation != 1 else []
    opts += [f"Groups<{m.groups}>"] if m.groups != 1 else []
    opts += ["NoBias"] if m.bias is None else []
    return spelled("ConvTranspose1D", (m.in_channels, m.out_channels, k), opts)


def ctnn_spelling(i, m):
    """(signature token, C++ type) of module m at PyTorch index i; fails for what ctnn cannot do.
    Options in a fixed order: KernelWidth, Stride, Padding or SamePadding, Dilation, Groups, NoBias."""
    what = f"layer {i} ({m})"
    if isinstance(m, RECURRENT):
        return recurrent_spelling(what, m)
    if isinstance(m, nn.Linear):
        return spelled("Linear", (m.in_features, m.out_features), [] if m.bias is not None else ["NoBias"])
    if isinstance(m, nn.Conv2d):
        if m.padding_mode != "zeros":
            fail(f"{what}: padding_mode={m.padding_mode!r}; ctnn pads with zeros only")
        kh, kw = pair(m.kernel_size)
        opts = [f"KernelWidth<{kw}>"] if kw != kh else []
        opts += option("Stride", pair(m.stride), (1, 1))
        if m.padding == "same":
            opts.append("SamePadding")
        elif m.padding != "valid":
            opts += option("Padding", pair(m.padding), (0, 0))
        opts += option("Dilation", pair(m.dilation), (1, 1))
        opts += [f"Groups<{m.groups}>"] if m.groups != 1 else []
        opts += ["NoBias"] if m.bias is None else []
        return spelled("Conv2D", (m.in_channels, m.out_channels, kh), opts)
    if isinstance(m, nn.Conv1d):
        if m.padding_mode != "zeros":
            fail(f"{what}: padding_mode={m.padding_mode!r}; ctnn pads with zeros only")
        if pairs := one_axis_pairs(m):
            fail(f"{what}: several values for {pairs}; a Conv1d takes one (a sequence has one axis)")
        (k,), (stride,), (dilation,) = m.kernel_size, m.stride, m.dilation
        opts = [f"Stride<{stride}>"] if stride != 1 else []
        if m.padding == "same":
            opts.append("SamePadding")
        elif m.padding != "valid" and m.padding[0] != 0:
            opts.append(f"Padding<{m.padding[0]}>")
        opts += [f"Dilation<{dilation}>"] if dilation != 1 else []
        opts += [f"Groups<{m.groups}>"] if m.groups != 1 else []
        opts += ["NoBias"] if m.bias is None else []
        return spelled("Conv1D", (m.in_channels, m.out_channels, k), opts)
    if isinstance(m, nn.ConvTranspose1d):
        return conv_transpose1d_spelling(what, m)
    if isinstance(m, (nn.ConvTranspose2d, nn.ConvTranspose3d)):
        fail(f"{what}: ctnn has no {type(m).__name__}; its transposed convolution is ConvTranspose1d, on C x T "
             f"sequences")
    if isinstance(m, (nn.RNN, nn.RNNCell, nn.GRUCell, nn.LSTMCell)):
        fail(f"{what}: ctnn has no {type(m).__name__}; its recurrent layers are GRU and LSTM (one layer over a "
             f"whole sequence each)")
    if isinstance(m, MISSING_POOLS_1D):
        fail(f"{what}: ctnn has no {type(m).__name__}; its 1-D pools are MaxPool1d and AvgPool1d (fixed windows)" +
             ("; over a sequence of length T, AdaptiveAvgPool1d(1) is AvgPool1d(T)"
              if isinstance(m, nn.AdaptiveAvgPool1d) else ""))
    if isinstance(m, POOLS_1D):
        name = "MaxPool1D" if isinstance(m, nn.MaxPool1d) else "AvgPool1D"
        if pairs := one_axis_pairs(m):
            fail(f"{what}: several values for {pairs}; a {type(m).__name__} takes one (a sequence has one axis)")
        check_pool_modes(what, m, name, single(m.dilation) if isinstance(m, nn.MaxPool1d) else 1)
        k, padding = single(m.kernel_size), single(m.padding)
        stride = single(m.stride) if m.stride is not None else k
        if 2 * padding > k:
            fail(f"{what}: padding {padding} is more than half the window {k} (PyTorch and ctnn allow at most "
                 f"{k // 2})")
        opts = [f"Stride<{stride}>"] if stride != k else []
        opts += [f"Padding<{padding}>"] if padding else []
        return spelled(name, (k,), opts)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        check_pool_modes(what, m, "MaxPool2D" if isinstance(m, nn.MaxPool2d) else "AvgPool2D",
                         pair(m.dilation) if isinstance(m, nn.MaxPool2d) else (1, 1))
        kh, kw = pair(m.kernel_size)
        opts = [f"KernelWidth<{kw}>"] if kw != kh else []
        opts += option("Stride", pair(m.stride if m.stride is not None else m.kernel_size), (kh, kw))
        opts += option("Padding", pair(m.padding), (0, 0))
        return spelled("MaxPool2D" if isinstance(m, nn.MaxPool2d) else "AvgPool2D", (kh,), opts)
    if isinstance(m, nn.AdaptiveAvgPool2d):
        if m.output_size not in (1, (1, 1), [1, 1]):
            fail(f"{what}: ctnn has AdaptiveAvgPool2d(1) only (GlobalAvgPool2D), not output size {m.output_size}")
        return spelled("GlobalAvgPool2D", (), [])
    if isinstance(m, nn.Flatten):
        if (m.start_dim, m.end_dim) != (1, -1):
            fail(f"{what}: ctnn's Flatten is nn.Flatten() (start_dim=1, end_dim=-1)")
        return spelled("Flatten", (), [])
    if isinstance(m, nn.PReLU):
        return spelled("PReLU", (m.weight.numel(),), [])
    if type(m) in BATCH_NORMS:
        if not m.affine:
            fail(f"{what}: affine=False; ctnn's {type(m).__name__} has a weight and a bias (affine=True)")
        if not m.track_running_stats:
            fail(f"{what}: track_running_stats=False; ctnn's {type(m).__name__} normalises with running "
                 f"statistics at inference (track_running_stats=True)")
        if m.eps != 1e-5:
            fail(f"{what}: eps={m.eps!r}; ctnn's {type(m).__name__} has eps=1e-05 only")
        if m.momentum != 0.1:
            fail(f"{what}: momentum={m.momentum!r}; ctnn's {type(m).__name__} keeps running averages with "
                 f"momentum=0.1 only (not another momentum, nor momentum=None's cumulative average)")
        return spelled(type(m).__name__, (m.num_features,), [])
    if type(m) in DROPOUTS:
        return dropout_name(what, DROPOUTS[type(m)], m.p)
    if isinstance(m, nn.GELU):
        if m.approximate != "none":
            fail(f"{what}: GELU(approximate={m.approximate!r}); ctnn::GELU is the exact form")
        return spelled("GELU", (), [])
    if isinstance(m, nn.Softmax):
        if m.dim not in (1, -1):
            fail(f"{what}: Softmax(dim={m.dim}); ctnn::Softmax is over each sample (dim=1)")
        return spelled("Softmax", (), [])
    for cls in (nn.ReLU, nn.Tanh, nn.Sigmoid):
        if type(m) is cls:
            return spelled(cls.__name__, (), [])
    if isinstance(m, nn.LeakyReLU):
        return ratio_name(m.negative_slope, "LeakyReLU", (1, 100), "LeakyReLUSlope", "LeakyReLU slope")
    if isinstance(m, nn.ELU):
        return ratio_name(m.alpha, "ELU", (1, 1), "ELUAlpha", "ELU alpha")
    fail(f"layer {i} is {type(m).__name__}; ctnn supports {SUPPORTED}")


def check_input(i, m, shape):
    """The shape m gives for a sample of `shape`, after the checks ctnn makes at compile time."""
    what = f"layer {i} ({m})"
    given = shape_text(shape)
    if isinstance(m, nn.Linear):
        if len(shape) != 1:
            fail(f"{what} gets a {given} input; put an nn.Flatten before it")
        if shape[0] != m.in_features:
            fail(f"{what} gets {shape[0]} features, not {m.in_features}")
    elif isinstance(m, SPATIAL):
        if len(shape) != 3:
            fail(f"{what} needs a C x H x W input, gets {given}" +
                 (" (give the image's shape: --input C,H,W)" if i == 0 else "") +
                 (f"; {SEQUENCE_TWIN[type(m)]} takes C x T sequences"
                  if len(shape) == 2 and type(m) in SEQUENCE_TWIN else ""))
        if isinstance(m, nn.Conv2d) and shape[0] != m.in_channels:
            fail(f"{what} gets {shape[0]} channels ({given}), not {m.in_channels}")
        if isinstance(m, nn.BatchNorm2d) and shape[0] != m.num_features:
            fail(f"{what} gets {shape[0]} channels ({given}), not {m.num_features}")
    elif isinstance(m, SEQUENCE):
        if len(shape) != 2:
            fail(f"{what} needs a C x T input (channels x length), gets {given}" +
                 (" (give the sequence's shape: --input C,T)" if i == 0 else "") +
                 (f"; {IMAGE_TWIN[type(m)]} takes C x H x W images" if len(shape) == 3 and type(m) in IMAGE_TWIN
                  else ""))
        channels, length = shape
        if isinstance(m, nn.ConvTranspose1d):
            if channels != m.in_channels:
                fail(f"{what} gets {channels} channels ({given}), not {m.in_channels}")
            (k,), (stride,), (padding,), (output_padding,), (dilation,) = (
                m.kernel_size, m.stride, m.padding, m.output_padding, m.dilation)
            full = (length - 1) * stride + dilation * (k - 1) + output_padding + 1
            if full <= 2 * padding:
                fail(f"{what}: its output would be (T - 1) stride + dilation (K - 1) + output_padding + 1 = {full} "
                     f"steps for T = {length}, which a padding of {padding} on each side leaves empty")
        elif isinstance(m, POOLS_1D):
            k, padding = single(m.kernel_size), single(m.padding)
            if k > length + 2 * padding:
                fail(f"{what}: its window of {k} steps is longer than the " +
                     (f"padded input: length {length} + padding {2 * padding} = {length + 2 * padding}"
                      if padding else f"input's length {length}"))
        else:
            if channels != m.in_channels:
                fail(f"{what} gets {channels} channels ({given}), not {m.in_channels}")
            (k,), (dilation,) = m.kernel_size, m.dilation
            span = dilation * (k - 1) + 1
            pads = {"same": span - 1, "valid": 0}.get(m.padding) if isinstance(m.padding, str) else 2 * m.padding[0]
            if span > length + pads:
                fail(f"{what}: its kernel spans {span} steps" +
                     (f" (kernel {k}, dilation {dilation})" if dilation > 1 else "") +
                     (f", longer than the padded input: length {length} + padding {pads} = {length + pads}" if pads
                      else f", longer than the input's length {length}"))
    elif isinstance(m, RECURRENT):
        if len(shape) != 2:
            fail(f"{what} needs a C x T input (channels x length), gets {given}" +
                 (" (give the sequence's shape: --input C,T)" if i == 0 else ""))
        if shape[0] != m.input_size:
            fail(f"{what} gets {shape[0]} channels ({given}), not its input_size {m.input_size}")
    elif isinstance(m, nn.BatchNorm1d):
        if len(shape) not in (1, 2):
            fail(f"{what} gets a {given} input; ctnn's BatchNorm1d takes C features or C x L sequences "
                 f"(BatchNorm2d takes images)")
        if shape[0] != m.num_features:
            fail(f"{what} gets {shape[0]} channels ({given}), not {m.num_features}")
    elif isinstance(m, nn.Softmax) and len(shape) != 1:
        fail(f"{what} gets a {given} input; ctnn::Softmax is over all of a sample's values: put it after an nn.Flatten")
    elif isinstance(m, nn.PReLU) and m.weight.numel() != 1 and shape[0] != m.weight.numel():
        fail(f"{what} has {m.weight.numel()} slopes (one per channel), its input {given}")
    try:
        with torch.no_grad():
            y = apply_layer(m, torch.zeros(1, *shape))
    except RuntimeError as e:
        fail(f"{what} does not accept a {given} input: {one_line(e)}")
    if y.numel() == 0:
        fail(f"{what} gives an empty output for a {given} input")
    return tuple(y.shape[1:])


def describe(m):
    """A module on one line, for messages: its repr, or "Residual" (whose repr spans lines)."""
    return "Residual" if isinstance(m, Residual) else " ".join(str(m).split())


def path_layers(modules, shape, prefix, flat):
    """([(signature token, C++ type, module, inner)], the shape at the end) for the ctnn layers of
    `modules` (an nn.Sequential's), given their input shape (None: a multilayer perceptron that
    starts with a Linear). `prefix` places them in messages: "" for the model's layers ("layer 2"),
    "2.main." for a Residual's ("layer 2.main.1"); `flat`: the model has no input shape, its Flatten
    layers are dropped. `inner` is None, or a Residual's (main, shortcut) lists of the same."""
    out = []
    for i, m in enumerate(modules):
        place = f"{prefix}{i}" if prefix else i
        if (isinstance(m, DROPPED) and type(m) not in DROPOUTS) or (flat and isinstance(m, nn.Flatten)):
            dropped = flat and isinstance(m, nn.Flatten)
            absent = "" if dropped or isinstance(m, nn.Identity) else "; ctnn has no such layer"
            later = "later layers renumbered" if not prefix else f"later layers of {prefix[:-1]} renumbered"
            print(f"note: layer {place} ({type(m).__name__}) does nothing at inference"
                  f"{' on flat inputs' if dropped else ''}{absent}; dropped, {later}"
                  f"{' (give --input to keep it)' if dropped else ''}", file=sys.stderr)
            continue
        if type(m).__name__ == "Residual" and not isinstance(m, Residual):
            fail(f"layer {place} is a Residual of module {type(m).__module__}, not tools/ctnn_modules.py's: build the "
                 f"model with `from ctnn_modules import Residual` (main(x) + shortcut(x), paths nn.Sequential), or "
                 f"export its state_dict with --layers \"...,Residual(main=[...],shortcut=[...]),...\"")
        if isinstance(m, Residual):
            if shape is None:
                fail(f"layer {place} is Residual: without --input a ctnn::Seq starts with a Linear layer; "
                     f"give the input shape (--input N, --input C,T or --input C,H,W)")
            token, cpp, inner, shape = residual_layer(place, m, shape, flat)
            out.append((token, cpp, m, inner))
            continue
        token, cpp = ctnn_spelling(place, m)
        if shape is None:
            if not isinstance(m, nn.Linear):
                fail(f"layer {place} is {type(m).__name__}: without --input a ctnn::Seq starts with a Linear layer; "
                     f"give the input shape (--input N, --input C,T or --input C,H,W)")
            shape = (m.in_features,)
        shape = check_input(place, m, shape)
        out.append((token, cpp, m, None))
    return out, shape


def paths_match(main, shortcut):
    """ctnn's rule: a Residual's main path and shortcut end in equal shapes, or in sequences of the
    same channels with the main path no longer in time (the shortcut's last steps are added)."""
    return main == shortcut or (len(main) == len(shortcut) == 2 and main[0] == shortcut[0] and main[1] <= shortcut[1])


def residual_layer(place, m, shape, flat):
    """(signature token, C++ type, (main, shortcut) entries, output shape) of a Residual fed
    `shape`: ctnn::Residual<main layers..., ctnn::Shortcut<shortcut layers...>> (no Shortcut for
    the identity), each inner layer spelled and checked as a layer of the model."""
    what = f"layer {place} (Residual)"
    children = dict(m.named_children())
    if set(children) - {"main", "shortcut"}:
        fail(f"{what} has modules {', '.join(sorted(set(children) - {'main', 'shortcut'}))} besides main and "
             f"shortcut; ctnn's Residual computes main(x) + shortcut(x) only")
    for name, path in children.items():
        if not isinstance(path, nn.Sequential):
            fail(f"{what}: its {name} is an nn.{type(path).__name__}, not an nn.Sequential; ctnn names the tensors "
                 f"\"{place}.{name}.<i>.<tensor>\": make it nn.Sequential({describe(path)})")
    main, main_shape = path_layers(m.main, shape, f"{place}.main.", flat)
    if not main:
        fail(f"{what}: its main path has no layer ctnn computes; ctnn's Residual needs one at least")
    shortcut, shortcut_shape = path_layers(m.shortcut, shape, f"{place}.shortcut.", flat) \
        if "shortcut" in children else ([], shape)
    if not paths_match(main_shape, shortcut_shape):
        which = "shortcut" if shortcut else "shortcut (the identity: the block's input)"
        hint = ""
        if len(main_shape) == len(shortcut_shape) == 2 and main_shape[0] == shortcut_shape[0]:
            hint = "; here the main path is the longer in time"
        elif not shortcut and len(main_shape) == len(shortcut_shape) <= 2 and main_shape[0] != shortcut_shape[0]:
            fix = (f"Conv1d({shortcut_shape[0]}, {main_shape[0]}, 1)" if len(main_shape) == 2
                   else f"Linear({shortcut_shape[0]}, {main_shape[0]})")
            hint = f"; a shortcut nn.Sequential(nn.{fix}) matches them"
        fail(f"{what}: the main path ends in {shape_text(main_shape)} and the {which} in "
             f"{shape_text(shortcut_shape)}; they must be equal, or sequences of the same channels with the main path "
             f"no longer in time (ctnn adds the shortcut's last steps){hint}")
    try:
        with torch.no_grad():
            y = m(torch.zeros(1, *shape))
    except RuntimeError as e:
        fail(f"{what} does not accept a {shape_text(shape)} input: {one_line(e)}")
    if tuple(y.shape[1:]) != tuple(main_shape):
        fail(f"{what} gives {shape_text(y.shape[1:])} for a {shape_text(shape)} input, not its main path's "
             f"{shape_text(main_shape)}: is it tools/ctnn_modules.py's Residual?")
    tokens = ["ctnn::" + t for t, _, _, _ in main]
    cpps = [c for _, c, _, _ in main]
    if shortcut:
        tokens.append(f"ctnn::Shortcut<{','.join('ctnn::' + t for t, _, _, _ in shortcut)}>")
        cpps.append(f"ctnn::Shortcut<{', '.join(c for _, c, _, _ in shortcut)}>")
    return f"Residual<{','.join(tokens)}>", f"ctnn::Residual<{', '.join(cpps)}>", (main, shortcut), main_shape


def ctnn_layers(model, input_shape):
    """[(signature token, C++ type, module, inner)] for each ctnn layer of the model, given its
    input shape (None: a multilayer perceptron that starts with a Linear, without ctnn::Input);
    inner: None, or a Residual's (main, shortcut) lists of the same."""
    if not isinstance(model, nn.Sequential):
        fail(f"expected an nn.Sequential, got {type(model).__name__}")
    spatial = [(i, sub) for i, m in enumerate(model) for sub in m.modules()
               if isinstance(sub, SPATIAL + SEQUENCE + RECURRENT)]
    if spatial and input_shape is None:
        i, m = spatial[0]
        fail(f"layer {i} ({describe(model[i])}) needs the model's input shape: give --input " +
             ("C,T (channels, length; e.g. --input 2,16)" if isinstance(m, SEQUENCE + RECURRENT)
              else "C,H,W (e.g. --input 1,28,28)"))
    out, _ = path_layers(model, input_shape, "", input_shape is None)
    if not out:
        fail("the model has no layer ctnn computes")
    return out


def parse_input(text):
    """--input "1,28,28" (or "1x28x28", "784") as a shape."""
    try:
        dims = tuple(int(d) for d in re.split(r"[,x]", text.strip()))
    except ValueError:
        dims = ()
    if not 1 <= len(dims) <= 3 or min(dims) <= 0:
        fail(f"--input {text!r}: expected C,H,W (or N, or C,T): one to three positive integers")
    return dims


def tensors_of(layers, dtype, prefix=""):
    """{"<position>.weight": tensor, ...} with ctnn's positions, in the state_dict's order: the
    floating-point tensors in `dtype`, BatchNorm's num_batches_tracked as an int64 scalar; a
    Residual's as "<position>.main.<i>.weight", "<position>.shortcut.<i>.weight"."""
    out = {}
    for position, (_, _, module, inner) in enumerate(layers):
        if inner is not None:
            for path, entries in zip(("main", "shortcut"), inner):
                out.update(tensors_of(entries, dtype, f"{prefix}{position}.{path}."))
        elif isinstance(module, (nn.Linear, nn.Conv2d, nn.Conv1d, nn.ConvTranspose1d, nn.PReLU) + BATCH_NORMS
                        + RECURRENT):
            for name, t in module.state_dict().items():
                t = t.detach()
                out[f"{prefix}{position}.{name}"] = (t.to(torch.int64).reshape(()) if name == "num_batches_tracked"
                                                     else t.to(dtype)).contiguous()
    return out


def write_safetensors(path, tensors, metadata):
    """The format: u64 little-endian header length, JSON header, then the raw little-endian data."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in tensors.items():
        dtype = next(k for k, v in FILE_DTYPES.items() if v == t.dtype)
        # bfloat16 has no numpy view; its bits are the upper half of a float32.
        if t.dtype == torch.bfloat16:
            data = struct.pack(f"<{t.numel()}h", *t.view(torch.int16).reshape(-1).tolist())
        else:
            fmt = {"F32": "f", "F16": "e", "F64": "d", "I64": "q"}[dtype]
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


def write_outputs(path, model, input_shape, dtype, samples, seed, note):
    """Seeded inputs (rows of a sample's values, C*H*W for an image) and the model's float32
    outputs (flattened, in eval mode), its weights and running statistics rounded to `dtype` first."""
    with torch.no_grad():
        for p in list(model.parameters()) + list(model.buffers()):
            if p.is_floating_point():
                p.copy_(p.to(dtype).to(torch.float32))
        gen = torch.Generator().manual_seed(seed + 1)
        x = torch.rand(samples, math.prod(input_shape), generator=gen) * 4 - 2
        y = x.reshape(samples, *input_shape)
        for m in model:  # nn.GRU and nn.LSTM on C x T samples too (apply_layer), which model(x) cannot chain
            y = apply_layer(m, y)
        y = y.reshape(samples, -1)
    with open(path, "w") as f:
        f.write(f"# {note}\n")
        for name, t in (("inputs", x), ("outputs", y)):
            f.write(f"{name} {t.shape[0]} {t.shape[1]}\n")
            for row in t.tolist():
                f.write(" ".join(f"{v:.9g}" for v in row) + "\n")


def state_dict_hint(loaded, layers):
    """What to do about the two usual misfits of a custom nn.Module's state_dict (an nn.GRU and an
    nn.Linear on each step, say): keys named after its attributes, not positions, and a per-step
    Linear's weight [Out, Hidden] where Conv1d(Hidden, Out, 1) has [Out, Hidden, 1]."""
    expected = layers.state_dict()
    named = list(dict.fromkeys(k.split(".")[0] for k in loaded if not k.split(".")[0].isdigit()))
    if named:
        first = next(k for k in loaded if not k.split(".")[0].isdigit())
        return (f" (the keys must be the nn.Sequential's, \"<position>.<tensor>\" as in {next(iter(expected))!r}; "
                f"this state_dict names modules {', '.join(named[:4])}{', ...' if len(named) > 4 else ''}: rename "
                f"its keys to the positions of --layers, e.g. {first!r} to \"<position>.{first.split('.', 1)[-1]}\")")
    for k, t in loaded.items():
        want = expected.get(k)
        if want is not None and want.dim() == 3 and want.shape[-1] == 1 and tuple(t.shape) == tuple(want.shape[:2]):
            return (f" ({k!r} is {list(t.shape)}, a Linear's weight: a Linear on each step is Conv1d(In, Out, 1), "
                    f"whose weight is {list(want.shape)}: store it as weight.unsqueeze(-1))")
    return ""


def load(path, layers):
    """The nn.Sequential of a torch.save'd file: the module, or a state_dict into `layers`."""
    try:
        loaded = torch.load(path, map_location="cpu")
    except OSError:
        raise
    except Exception as e:  # noqa: BLE001 - pickle and zip errors of a file that is no torch.save
        fail(f"{path}: torch.load cannot read it: {one_line(e)}")
    if isinstance(loaded, nn.Module):
        return loaded
    if not isinstance(loaded, dict):
        fail(f"{path}: holds a {type(loaded).__name__}, neither an nn.Sequential nor a state_dict")
    if layers is None:
        fail(f"{path}: the file holds a state_dict; give the architecture with --layers")
    try:
        layers.load_state_dict(loaded, strict=True)
    except RuntimeError as e:
        fail(f"{path}: the state_dict does not fit --layers: {one_line(e)}{state_dict_hint(loaded, layers)}")
    return layers


def main():
    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="torch.save'd nn.Sequential, or a state_dict with --layers")
    ap.add_argument("output", help="the safetensors file to write")
    ap.add_argument("--layers", help='layer list, e.g. "Linear(13,17),Tanh,Linear(17,5)", '
                                     '"Conv2d(1,4,3,padding=1),ReLU,MaxPool2d(2),Flatten,Linear(100,10)" '
                                     '"Input<1,10,10>,Conv2D<1,4,3,Padding<1>>,ReLU,..." or '
                                     '"Input<2,16>,Conv1D<2,4,3,Stride<2>>,ReLU,..."; a residual block '
                                     '"Residual(main=[Conv1d(2,4,3),ReLU],shortcut=[Conv1d(2,4,1)])" or '
                                     '"Residual<Conv1D<2,4,3>,ReLU,Shortcut<Conv1D<2,4,1>>>"')
    ap.add_argument("--input", help="the model's input shape, C,H,W (or N, or C,T for sequences): required with "
                                    "Conv2d (C,H,W), Conv1d, GRU, LSTM (C,T), pooling, BatchNorm2d or Dropout2d")
    ap.add_argument("--seed", type=int, default=0, help="seed for a fresh model and the sample inputs")
    ap.add_argument("--dtype", choices=DTYPES, default="F32")
    ap.add_argument("--samples", type=int, default=8, help="rows of sample inputs for --outputs")
    ap.add_argument("--outputs", help="also write sample inputs and the model's outputs to this text file")
    args = ap.parse_args()
    if args.samples <= 0:
        fail(f"--samples {args.samples}: at least one")
    torch.manual_seed(args.seed)

    input_shape = parse_input(args.input) if args.input is not None else None
    built = None
    if args.layers:
        layers_input, built = parse_layers(args.layers)
        if layers_input is not None and input_shape is not None and layers_input != input_shape:
            fail(f"--input {args.input} and the Input<{','.join(map(str, layers_input))}> of --layers disagree")
        input_shape = input_shape or layers_input
    if args.model:
        model = load(args.model, built)
    elif built is not None:
        model = built
    else:
        fail("give a model file or --layers")
    model = model.float().eval()

    layers = ctnn_layers(model, input_shape)
    tokens = [token for token, _, _, _ in layers]
    cpp = [cpp for _, cpp, _, _ in layers]
    if input_shape is not None:
        tokens.insert(0, f"Input<{','.join(map(str, input_shape))}>")
        cpp.insert(0, f"ctnn::Input<{', '.join(map(str, input_shape))}>")
    signature = ",".join(tokens)
    write_safetensors(args.output, tensors_of(layers, DTYPES[args.dtype]),
                      {"format": "pt", "ctnn.signature": signature})
    if args.outputs:
        note = f"tools/torch_to_safetensors.py: {signature} dtype {args.dtype} seed {args.seed}"
        shape = input_shape or (next(m for _, _, m, _ in layers if isinstance(m, nn.Linear)).in_features,)
        write_outputs(args.outputs, model, shape, DTYPES[args.dtype], args.samples, args.seed, note)
    print(f"using Net = ctnn::Seq<{', '.join(cpp)}>;")


if __name__ == "__main__":
    run(main)

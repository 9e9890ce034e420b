#!/usr/bin/python3
"""Writes the RTNeural test fixtures of tests/data/rtneural/: small seeded models in RTNeural's
JSON format, with inputs and the outputs RTNeural computes for them, which tests/test_rtneural.cpp
compares with ctnn::Stream (or forward) on the files tools/rtneural_to_safetensors.py converts.

Needs Debian's python3-torch and python3-numpy (run with /usr/bin/python3):

    /usr/bin/python3 tools/make_rtneural_fixtures.py [--out tests/data/rtneural]

Each model is written as RTNeural's Python helper (python/model_utils.py save_model) writes a
Keras model: {"in_shape": [null, null, C], "layers": [{"type", "activation", "shape",
("kernel_size", "dilation" | "epsilon"), "weights"}]}, the weights in Keras's layout (dense kernel
[In][Out]; conv1d kernel [K][In/groups][Out], with "groups" only when not 1, as the PyTorch
helpers write it; GRU kernel [In][3H] and recurrent kernel [H][3H] with gates z, r, h and bias
[2][3H]; LSTM [In][4H], [H][4H] with gates i, f, c, o and bias [4H]; PReLU alpha [1][C] or
[1][1]; batchnorm [gamma, beta, mean, variance] or [mean, variance] and its epsilon), one layer
per line and the weights rounded to 4 decimals to keep the files small.

The expected outputs come from PyTorch: the equivalent torch modules built from the same float32
weights (nn.Linear on each step, nn.Conv1d on the input padded with (K - 1) d zeros on the left,
which is causal as RTNeural streams it, nn.GRU with the gates reordered r, z, n, nn.LSTM with
bias_hh zero, nn.PReLU, nn.BatchNorm1d(eps=epsilon) in eval mode, the activations, softmax over
each step's channels) run over 24 steps. Each is checked, before it is written, against a plain
float64 emulation of RTNeural's own loader and layers (its kernel reversal and ring of past
inputs, its z, r, h GRU), to 1e-5.
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

STEPS = 24


def rounded(a):
    return np.round(np.asarray(a, dtype=np.float64), 4)


class Builder:
    """Keras-layout layers with seeded weights, as RTNeural's save_model writes them."""

    def __init__(self, channels, seed):
        self.rng = np.random.default_rng(seed)
        self.size = channels
        self.model = {"in_shape": [None, None, channels], "layers": []}

    def uniform(self, lo, hi, shape):
        return rounded(self.rng.uniform(lo, hi, shape))

    def layer(self, kind, activation, out, weights, **extra):
        entry = {"type": kind, "activation": activation, "shape": [None, None, out]}
        entry.update(extra)
        entry["weights"] = [w.tolist() if isinstance(w, np.ndarray) else w for w in weights]
        self.model["layers"].append(entry)
        self.size = out
        return self

    def dense(self, out, activation="", kind="dense", scale=1.5):
        a = scale / math.sqrt(self.size)
        return self.layer(kind, activation, out, [self.uniform(-a, a, (self.size, out)), self.uniform(-0.3, 0.3, out)])

    def conv1d(self, out, k, d=1, groups=1, activation=""):
        a = 1.5 / math.sqrt(self.size // groups * k)
        extra = {"kernel_size": [k], "dilation": [d]}
        if groups != 1:
            extra["groups"] = groups
        return self.layer("conv1d", activation, out,
                          [self.uniform(-a, a, (k, self.size // groups, out)), self.uniform(-0.3, 0.3, out)], **extra)

    def gru(self, hidden):
        a = 1.5 / math.sqrt(hidden)
        return self.layer("gru", "tanh", hidden, [self.uniform(-a, a, (self.size, 3 * hidden)),
                                                  self.uniform(-a, a, (hidden, 3 * hidden)),
                                                  self.uniform(-0.4, 0.4, (2, 3 * hidden))])

    def lstm(self, hidden):
        a = 1.5 / math.sqrt(hidden)
        return self.layer("lstm", "tanh", hidden, [self.uniform(-a, a, (self.size, 4 * hidden)),
                                                   self.uniform(-a, a, (hidden, 4 * hidden)),
                                                   self.uniform(-0.4, 0.4, 4 * hidden)])

    def prelu(self, shared=False):
        return self.layer("prelu", "", self.size, [self.uniform(0.05, 0.4, (1, 1 if shared else self.size))])

    def batchnorm(self, epsilon, affine=True, mean=0.3, variance=(0.5, 1.5)):
        c = self.size
        stats = [self.uniform(-mean, mean, c), self.uniform(*variance, c)]
        weights = ([self.uniform(0.5, 1.5, c), self.uniform(-0.3, 0.3, c)] if affine else []) + stats
        return self.layer("batchnorm", "", c, weights, epsilon=epsilon)

    def activation(self, name):
        return self.layer("activation", name, self.size, [])


def models():
    """(name, description, model dict, channels)."""
    out = []

    def add(name, description, builder):
        out.append((name, description, builder.model))

    add("dense_tanh", "an MLP on each step: dense 1-8-8-1 with tanh",
        Builder(1, 1).dense(8, "tanh").dense(8, "tanh").dense(1))
    add("conv_stack", "causal dilated conv1d stack (dilations 1, 2, 4; groups 2) with tanh, then dense",
        Builder(1, 2).conv1d(6, 3, 1, activation="tanh").conv1d(6, 3, 2, groups=2, activation="tanh")
        .conv1d(4, 2, 4, activation="tanh").dense(1))
    add("gru", "GRU of 8 units, then dense", Builder(1, 3).gru(8).dense(1))
    add("lstm", "LSTM of 6 units on 2 channels, then dense", Builder(2, 4).lstm(6).dense(1))
    add("prelu", "dense with PReLU per channel and shared",
        Builder(3, 5).dense(4).prelu().dense(4).prelu(shared=True).dense(2))
    # Small variances (and inputs of their scale), so that an epsilon of 1e-3 instead of ctnn's 1e-5
    # changes the outputs by percents.
    add("batchnorm", "batchnorm with Keras's epsilon 1e-3, affine and not, small variances",
        Builder(2, 6).dense(4, scale=0.1).batchnorm(1e-3, mean=0.03, variance=(0.002, 0.01)).activation("relu")
        .dense(3, scale=0.1).batchnorm(1e-3, affine=False, mean=0.03, variance=(0.002, 0.01)).dense(1, scale=0.5))
    add("activations", "tanh, relu, sigmoid and elu as activation layers and as dense activations",
        Builder(3, 7).dense(5, "tanh").dense(5).activation("relu").dense(5, "sigmoid").dense(5).activation("elu")
        .dense(5, "relu").dense(4, "elu").dense(3).activation("tanh").activation("sigmoid"))
    add("softmax", "dense with elu, then softmax over each frame (a flat model)",
        Builder(4, 8).dense(6, "elu").dense(3).activation("softmax"))
    add("mixed", "dense, dilated conv1d, batchnorm, prelu, GRU, LSTM, conv1d, time-distributed dense",
        Builder(1, 9).dense(4, "tanh").conv1d(6, 3, 2, activation="relu").batchnorm(1e-3, variance=(0.05, 0.5)).prelu().gru(8).lstm(5)
        .conv1d(4, 2, activation="sigmoid").dense(2, "elu", kind="time-distributed-dense").dense(1))
    return out


def t32(a):
    return torch.tensor(np.asarray(a), dtype=torch.float32)


ACTS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "elu": F.elu,
        "softmax": lambda h: torch.softmax(h, dim=1)}


def torch_outputs(model, x):
    """PyTorch's outputs for inputs x [T][C]: the sequence (1, C, T) through the equivalent modules, causally."""
    h = t32(x).T.unsqueeze(0)
    with torch.no_grad():
        for layer in model["layers"]:
            kind, w = layer["type"], layer["weights"]
            c = h.shape[1]
            if kind in ("dense", "time-distributed-dense"):
                kernel = t32(w[0])
                lin = nn.Linear(c, kernel.shape[1])
                lin.weight.copy_(kernel.T)
                lin.bias.copy_(t32(w[1]))
                h = lin(h.transpose(1, 2)).transpose(1, 2)
            elif kind == "conv1d":
                kernel = t32(w[0])  # [K][In/g][Out]
                k, d, g = layer["kernel_size"][-1], layer["dilation"][-1], layer.get("groups", 1)
                conv = nn.Conv1d(c, kernel.shape[2], k, dilation=d, groups=g)
                conv.weight.copy_(kernel.permute(2, 1, 0))  # [Out][In/g][K]: tap order kept
                conv.bias.copy_(t32(w[1]))
                h = conv(F.pad(h, ((k - 1) * d, 0)))
            elif kind == "gru":
                kernel, recurrent, bias = t32(w[0]), t32(w[1]), t32(w[2])
                hidden = recurrent.shape[0]

                def rzn(m):  # Keras z, r, h columns -> PyTorch r, z, n rows
                    return torch.cat([m[..., hidden:2 * hidden], m[..., :hidden], m[..., 2 * hidden:]], dim=-1)

                gru = nn.GRU(c, hidden, batch_first=True)
                gru.weight_ih_l0.copy_(rzn(kernel).T)
                gru.weight_hh_l0.copy_(rzn(recurrent).T)
                gru.bias_ih_l0.copy_(rzn(bias[0]))
                gru.bias_hh_l0.copy_(rzn(bias[1]))
                h = gru(h.transpose(1, 2))[0].transpose(1, 2)
            elif kind == "lstm":
                kernel, recurrent, bias = t32(w[0]), t32(w[1]), t32(w[2])
                hidden = recurrent.shape[0]
                lstm = nn.LSTM(c, hidden, batch_first=True)
                lstm.weight_ih_l0.copy_(kernel.T)  # i, f, c, o is PyTorch's i, f, g, o
                lstm.weight_hh_l0.copy_(recurrent.T)
                lstm.bias_ih_l0.copy_(bias)
                lstm.bias_hh_l0.zero_()
                h = lstm(h.transpose(1, 2))[0].transpose(1, 2)
            elif kind == "prelu":
                alpha = t32(w[0][0])
                prelu = nn.PReLU(alpha.numel())
                prelu.weight.copy_(alpha)
                h = prelu(h)
            elif kind == "batchnorm":
                bn = nn.BatchNorm1d(c, eps=layer["epsilon"]).eval()
                if len(w) == 4:
                    bn.weight.copy_(t32(w[0]))
                    bn.bias.copy_(t32(w[1]))
                bn.running_mean.copy_(t32(w[-2]))
                bn.running_var.copy_(t32(w[-1]))
                h = bn(h)
            elif kind != "activation":
                raise ValueError(kind)
            if layer["activation"] and kind not in ("gru", "lstm", "prelu", "batchnorm"):
                h = ACTS[layer["activation"]](h)
    return h[0].T.numpy()  # [T][Out]


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def rtneural_emulation(model, x):
    """RTNeural's loader and layers as its sources read, in float64, one step per call."""
    steps = []
    size = model["in_shape"][-1]
    for layer in model["layers"]:
        kind, w = layer["type"], [np.asarray(v, dtype=np.float64) for v in layer["weights"]]
        out = layer["shape"][-1]
        if kind in ("dense", "time-distributed-dense"):
            steps.append(lambda v, k=w[0], b=w[1]: v @ k + b)
        elif kind == "conv1d":
            k, d, g = layer["kernel_size"][-1], layer["dilation"][-1], layer.get("groups", 1)
            cin, per_group = size // g, out // g
            # loadConv1D: convWeights[o][c][K - 1 - i] = json[i][c][o]; setWeights: weights[o][tap][c]
            weights = np.zeros((out, k, cin))
            for i in range(k):
                weights[:, k - 1 - i, :] = w[0][i].T
            state = {"buf": np.zeros(((k - 1) * d + 1, size)), "ptr": 0}

            def conv(v, weights=weights, b=w[1], state=state, k=k, d=d, cin=cin, per_group=per_group):
                buf, n = state["buf"], len(state["buf"])
                buf[state["ptr"]] = v
                cols = np.stack([buf[(state["ptr"] + n - tap * d) % n] for tap in range(k)])  # tap * d steps back
                y = np.array([b[o] + np.sum(weights[o] * cols[:, (o // per_group) * cin:(o // per_group + 1) * cin])
                              for o in range(len(b))])
                state["ptr"] = (state["ptr"] + 1) % n
                return y
            steps.append(conv)
        elif kind == "gru":
            hidden = out
            hs = {"h": np.zeros(hidden)}

            def gru(v, k=w[0], u=w[1], b=w[2], H=hidden, hs=hs):
                h = hs["h"]
                xk, hu = v @ k, h @ u
                z = sigmoid(xk[:H] + hu[:H] + b[0][:H] + b[1][:H])
                r = sigmoid(xk[H:2 * H] + hu[H:2 * H] + b[0][H:2 * H] + b[1][H:2 * H])
                c = np.tanh(xk[2 * H:] + b[0][2 * H:] + r * (hu[2 * H:] + b[1][2 * H:]))
                hs["h"] = (1 - z) * c + z * h
                return hs["h"]
            steps.append(gru)
        elif kind == "lstm":
            hidden = out
            hs = {"h": np.zeros(hidden), "c": np.zeros(hidden)}

            def lstm(v, k=w[0], u=w[1], b=w[2], H=hidden, hs=hs):
                g = v @ k + hs["h"] @ u + b
                i, f, c, o = sigmoid(g[:H]), sigmoid(g[H:2 * H]), np.tanh(g[2 * H:3 * H]), sigmoid(g[3 * H:])
                hs["c"] = f * hs["c"] + i * c
                hs["h"] = o * np.tanh(hs["c"])
                return hs["h"]
            steps.append(lstm)
        elif kind == "prelu":
            alpha = w[0][0]
            alpha = np.full(size, alpha[0]) if alpha.size == 1 else alpha
            steps.append(lambda v, a=alpha: np.where(v >= 0, v, v * a))
        elif kind == "batchnorm":
            gamma, beta = (w[0], w[1]) if len(w) == 4 else (np.ones(size), np.zeros(size))
            mult = gamma / np.sqrt(w[-1] + layer["epsilon"])
            steps.append(lambda v, m=mult, mean=w[-2], beta=beta: m * (v - mean) + beta)
        if layer["activation"] and kind not in ("gru", "lstm", "prelu", "batchnorm"):
            steps.append({"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "sigmoid": sigmoid,
                          "elu": lambda v: np.where(v > 0, v, np.exp(v) - 1),
                          "softmax": lambda v: np.exp(v) / np.sum(np.exp(v))}[layer["activation"]])
        size = out
    ys = []
    for v in np.asarray(x, dtype=np.float64):
        for step in steps:
            v = step(v)
        ys.append(v)
    return np.array(ys)


def json_text(model):
    """The model as RTNeural's JSON, one layer per line."""
    layers = ",\n".join(json.dumps(layer, separators=(",", ":")) for layer in model["layers"])
    return f'{{"in_shape":{json.dumps(model["in_shape"], separators=(",", ":"))},"layers":[\n{layers}\n]}}\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "rtneural"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    for seed, (name, description, model) in enumerate(models()):
        channels = model["in_shape"][-1]
        x = rounded(np.random.default_rng(100 + seed).uniform(-1, 1, (STEPS, channels)))
        y = torch_outputs(model, x)
        emulated = rtneural_emulation(model, x)
        worst = float(np.max(np.abs(y - emulated)))
        assert worst < 1e-5, f"{name}: PyTorch and the RTNeural emulation differ by {worst}"
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            f.write(json_text(model))
        with open(os.path.join(args.out, name + ".txt"), "w") as f:
            f.write(f"# tools/make_rtneural_fixtures.py: {name}: {description}; {STEPS} steps, one per row; "
                    f"outputs from PyTorch (RTNeural emulation within {worst:.1e})\n")
            for section, rows in (("inputs", x), ("outputs", y)):
                f.write(f"{section} {rows.shape[0]} {rows.shape[1]}\n")
                for row in rows:
                    f.write(" ".join(f"{v:.9g}" for v in row) + "\n")
        print(f"{name}: {os.path.getsize(os.path.join(args.out, name + '.json'))} bytes of JSON, "
              f"PyTorch vs RTNeural emulation {worst:.1e}")


if __name__ == "__main__":
    main()

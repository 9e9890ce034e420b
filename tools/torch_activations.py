#!/usr/bin/python3
"""The activations example's table, computed with PyTorch: the same networks (H hidden layers of
256 units), initialisations, recipe and measurements as examples/activations, so the two can be
compared row by row (in order of magnitude: the random streams differ).

Run with Debian's python3-torch and OpenBLAS (apt-get install python3-torch libopenblas0-pthread;
without OpenBLAS PyTorch falls back to the reference BLAS, about 10x slower), after
tools/fetch-mnist.sh:
    /usr/bin/python3 tools/torch_activations.py [--data data/mnist] [--epochs 3] [--hidden 2,5,10]
        [--activations sigmoid,tanh,relu,leaky_relu] [--init normal,default] [--threads 2]

Columns: test accuracy after the last epoch; the first Linear layer's mean |gradient| on the first
batch and averaged over the first epoch's batches; its ratio to the last Linear layer's on the
first batch; in the last epoch, the fraction of hidden outputs that were inactive (slope at most
1% of the activation's largest: ReLU output 0, sigmoid and tanh saturated; LeakyReLU output <= 0)
and of hidden units inactive for every sample, as ctnn::train::Diagnostics defines them.
"""
import argparse
import os
import sys
import time

# OpenBLAS has a thread pool of its own besides torch's: hold both to --threads, before torch loads.
_threads = next((a.split("=")[1] for a in sys.argv if a.startswith("--threads=")), None)
if "--threads" in sys.argv[:-1]:
    _threads = sys.argv[sys.argv.index("--threads") + 1]
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _threads or str(os.cpu_count())

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU}


def read_idx(path, offset):
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            if candidate.endswith(".gz"):
                import gzip
                with gzip.open(candidate, "rb") as f:
                    return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)
            return np.fromfile(candidate, dtype=np.uint8)[offset:]
    raise SystemExit(f"torch_activations: {path} not found: run tools/fetch-mnist.sh or pass --data DIR")


def load(data, prefix):
    images = read_idx(os.path.join(data, f"{prefix}-images-idx3-ubyte"), 16).reshape(-1, 784)
    labels = read_idx(os.path.join(data, f"{prefix}-labels-idx1-ubyte"), 8)
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(labels.astype(np.int64))


def build(hidden, activation, init):
    layers, width = [], 784
    for _ in range(hidden):
        layers += [nn.Linear(width, 256), ACTIVATIONS[activation]()]
        width = 256
    layers.append(nn.Linear(width, 10))
    model = nn.Sequential(*layers)
    if init == "normal":
        for layer in model:
            if isinstance(layer, nn.Linear):
                nn.init.normal_(layer.weight)  # the note's recipe; biases keep PyTorch's default
    return model


def inactive(activation, y):
    """Outputs whose slope is at most 1% of the activation's largest (LeakyReLU: output <= 0)."""
    if activation == "sigmoid":
        return y * (1 - y) <= 0.25 * 0.01
    if activation == "tanh":
        return 1 - y * y <= 0.01
    return y <= 0


def run(hidden, activation, init, train, test, epochs, seed):
    torch.manual_seed(seed)
    model = build(hidden, activation, init)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    acts = [m for m in model if isinstance(m, tuple(ACTIVATIONS.values()))]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    x_train, y_train = train
    ever_active = None
    hooks = []

    def watch(module, inputs, output):
        off = inactive(activation, output.detach())
        ever_active[module] |= (~off).any(dim=0)
        counts[0] += int(off.sum())
        counts[1] += off.numel()

    for a in acts:
        hooks.append(a.register_forward_hook(watch))
    first_batch = None
    first_epoch = []
    dead = 0.0
    counts = [0, 0]  # inactive outputs, outputs
    for epoch in range(epochs):
        ever_active = {a: torch.zeros(256, dtype=torch.bool) for a in acts}
        counts[0] = counts[1] = 0
        order = torch.randperm(len(x_train))
        for start in range(0, len(order) - 99, 100):  # drop_last
            batch = order[start:start + 100]
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x_train[batch]), y_train[batch]).backward()
            grads = [l.weight.grad.abs().mean().item() for l in linears]
            if first_batch is None:
                first_batch = grads
            if epoch == 0:
                first_epoch.append(grads[0])
            optimizer.step()
        dead = sum(int((~v).sum()) for v in ever_active.values()) / (256.0 * len(acts))
    for h in hooks:
        h.remove()
    with torch.no_grad():
        accuracy = (model(test[0]).argmax(dim=1) == test[1]).float().mean().item()
    return (accuracy, first_batch[0], sum(first_epoch) / len(first_epoch), first_batch[0] / first_batch[-1],
            counts[0] / counts[1], dead)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "data", "mnist"))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--hidden", default="2,5,10")
    p.add_argument("--activations", default="sigmoid,tanh,relu,leaky_relu")
    p.add_argument("--init", default="normal,default")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=777)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    train, test = load(a.data, "train"), load(a.data, "t10k")
    print(f"PyTorch {torch.__version__}, MNIST, Adam lr 0.001, batches of 100, {a.epochs} epochs per network, "
          f"{a.threads} threads\n")
    print(f"{'hidden':>6}  {'activation':<10}  {'init':<7}  {'accuracy':>8}  {'|grad| L1':>10}  {'|grad| L1':>10}  "
          f"{'L1/last':>10}  {'inactive':>8}  {'dead':>8}")
    print(f"{'layers':>6}  {'':<10}  {'':<7}  {'':>8}  {'batch 1':>10}  {'epoch 1':>10}  {'batch 1':>10}  "
          f"{'outputs':>8}  {'units':>8}")
    for hidden in (int(h) for h in a.hidden.split(",")):
        for activation in a.activations.split(","):
            for init in a.init.split(","):
                start = time.time()
                acc, g1, ge, ratio, off, dead = run(hidden, activation, init, train, test, a.epochs, a.seed)
                label = "N(0,1)" if init == "normal" else "default"
                print(f"{hidden:>6}  {activation:<10}  {label:<7}  {acc:>8.4f}  {g1:>10.2e}  {ge:>10.2e}  {ratio:>10.2e}  "
                      f"{100 * off:>7.1f}%  {100 * dead:>7.1f}%   ({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The benchmark workloads of bench/ in PyTorch (Debian's python3-torch, one thread), side by
side with ctnn's numbers from the same machine, as medians and ratios.

    /usr/bin/python3 tools/bench_torch.py [--ctnn-build build/bench] [--threads 1] [--rounds 1]

On a shared, noisy machine, --rounds N alternates the two sides N times (PyTorch, ctnn, PyTorch,
...) and reports each workload's median time and the median of the per-round speed-ups, with
their range: the ratio of two runs made minutes apart can move by 20% there.

It runs build/bench/bench/bench_inference, bench_training and bench_cnn (configure with
-DCTNN_BUILD_BENCHMARKS=ON) unless --no-ctnn. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed
from the environment before torch loads, so OpenBLAS picks its best kernels for this CPU.
Debian's torch calls whatever libblas.so.3 is installed: install libopenblas0-pthread first
(without it, the reference BLAS makes PyTorch about 10x slower).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(var, None)
# OpenBLAS (libopenblas0-pthread) has a thread pool of its own besides torch's: hold both to
# --threads, read before torch loads.
_threads = next((a.split("=")[1] for a in sys.argv if a.startswith("--threads=")), None)
if "--threads" in sys.argv[:-1]:
    _threads = sys.argv[sys.argv.index("--threads") + 1]
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _threads or "1"

import torch  # noqa: E402  (after the environment is cleaned)
from torch import nn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mnist_net():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def torch_example_net():
    """The network of PyTorch's MNIST example (without its dropout layers)."""
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10))


def median_seconds(fn, repeats=7, min_time=0.2):
    """Median over `repeats` runs of the mean time per call, each run at least `min_time` long."""
    fn()
    results = []
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        results.append(elapsed / n)
    return statistics.median(results)


def torch_results():
    model = mnist_net().eval()
    out = {}
    with torch.no_grad():
        for batch in (1, 8, 100, 1000):
            x = torch.rand(batch, 784)
            out[f"inference batch {batch}"] = median_seconds(lambda: model(x)) / batch
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.rand(100, 784), torch.randint(0, 10, (100,))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    out["train step batch 100"] = median_seconds(step) / 100
    data, labels = torch.rand(60000, 784), torch.randint(0, 10, (60000,))

    def epoch():
        for s in range(0, 60000, 100):
            opt.zero_grad()
            loss_fn(model(data[s:s + 100]), labels[s:s + 100]).backward()
            opt.step()
    out["epoch 60000"] = median_seconds(epoch, repeats=3, min_time=0) / 60000
    out.update(cnn_results())
    return out


def train_step_seconds(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return median_seconds(step, repeats=5)


def cnn_results():
    out = {}
    model = lenet().eval()
    with torch.no_grad():
        for batch in (1, 100):
            x = torch.rand(batch, 1, 28, 28)
            out[f"lenet inference {batch}"] = median_seconds(lambda: model(x)) / batch
    x, y = torch.rand(100, 1, 28, 28), torch.randint(0, 10, (100,))
    out["lenet train step 100"] = train_step_seconds(lenet().train(), x, y) / 100
    out["torch-example train 100"] = train_step_seconds(torch_example_net().train(), x, y) / 100
    return out


def ctnn_results(build, threads):
    """Seconds per sample from the ctnn benchmark binaries (medians of 5 repetitions)."""
    names = {
        "BM_ctnn_batch/1_median": "inference batch 1", "BM_ctnn_batch/8_median": "inference batch 8",
        "BM_ctnn_batch/100_median": "inference batch 100", "BM_ctnn_batch/1000_median": "inference batch 1000",
        f"BM_ctnn_train_step/threads:{threads}/real_time_median": "train step batch 100",
        f"BM_ctnn_epoch/threads:{threads}/iterations:2/real_time_median": "epoch 60000",
        "BM_lenet_inference/batch:1_median": "lenet inference 1", "BM_lenet_inference/batch:100_median": "lenet inference 100",
        f"BM_lenet_train_step/threads:{threads}/real_time_median": "lenet train step 100",
        f"BM_torch_example_net_train_step/threads:{threads}/real_time_median": "torch-example train 100",
    }
    out = {}
    for binary, pattern in (("bench_inference", "ctnn"), ("bench_training", "ctnn"), ("bench_cnn", "lenet_inference|_train_step")):
        path = os.path.join(build, "bench", binary)
        res = subprocess.run([path, "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true",
                              "--benchmark_format=json", f"--benchmark_filter={pattern}"],
                             check=True, capture_output=True, text=True)
        for b in json.loads(res.stdout)["benchmarks"]:
            if b["name"] in names and "samples/s" in b:
                out[names[b["name"]]] = 1.0 / b["samples/s"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctnn-build", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-ctnn", action="store_true")
    ap.add_argument("--rounds", type=int, default=1, help="alternate PyTorch and ctnn this many times")
    args = ap.parse_args()
    if args.rounds < 1:
        sys.exit("bench_torch.py: --rounds must be 1 or more")
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), "
          f"OPENBLAS_CORETYPE unset; ctnn from {args.ctnn_build}; {args.rounds} round(s)")
    rounds = []
    for r in range(args.rounds):
        t = torch_results()
        c = {} if args.no_ctnn else ctnn_results(args.ctnn_build, args.threads)
        rounds.append((t, c))
        if args.rounds > 1:
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    print(f"{'workload':24s} {'torch us/sample':>16s} {'ctnn us/sample':>15s} {'ctnn speed-up':>14s}")
    print("(MLP: the MNIST network 784-256-256-10; lenet: the MNIST CNN example's LeNet-5; torch-example:")
    print(" the network of PyTorch's MNIST example, 32 and 64 3x3 convolutions and 9216-128-10)")
    for k in rounds[0][0]:
        tv = statistics.median(t[k] for t, _ in rounds)
        ratios = [t[k] / c[k] for t, c in rounds if c.get(k)]
        cvs = [c[k] for _, c in rounds if c.get(k)]
        cs = f"{statistics.median(cvs) * 1e6:15.3f}" if cvs else "              -"
        ratio = f"{statistics.median(ratios):13.2f}x" if ratios else "            -"
        spread = f"  ({min(ratios):.2f}-{max(ratios):.2f}x)" if len(ratios) > 1 else ""
        print(f"{k:24s} {tv * 1e6:16.3f} {cs} {ratio}{spread}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Compile-time benchmark: time and peak memory of compiling a training program for Seqs of
depth 2 to 64 (alternating Linear and ReLU, every Linear of other sizes, so that nothing is
shared between layers), and of the MNIST example. Writes a markdown
table and an SVG chart (plain Python, no plotting packages).

    tools/compile_time.py [--compiler g++] [--out docs]        (about 2 minutes on 2 cores)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROGRAM = """#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<{layers}>;
int main() {{
    Net net;
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(net, rng);
    std::array<float, Net::in_size> x{{}};
    std::array<float, Net::out_size> y{{}};
    net.forward(x, y);
    ctnn::Workspace<Net> ws(8);
    ctnn::Gradients<Net> grads;
    ctnn::optim::Adam<Net> adam;
    std::array<float, 8 * Net::in_size> xb{{}};
    std::array<float, 8 * Net::out_size> dy{{}};
    net.train_forward(xb, ws);
    net.backward(xb, dy, ws, grads);
    adam.step(net, grads);
    return int(y[0]);
}}
"""


def measure(compiler, source, flags):
    """Wall seconds and peak resident MB of one compiler run (the child with the most memory)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss.name, compiler, *flags, "-c", source, "-o", os.devnull]
        subprocess.run(cmd, check=True)
        seconds = time.perf_counter() - start
        peak_kb = int(rss.read().split()[-1])
    return seconds, peak_kb / 1024.0


def svg_chart(rows, path):
    w, h, pad = 640, 360, 50
    max_depth = max(r[0] for r in rows)
    max_s = max(r[1] for r in rows) * 1.15
    def x(d): return pad + (w - 2 * pad) * d / max_depth
    def y(s): return h - pad - (h - 2 * pad) * s / max_s
    pts = " ".join(f"{x(d):.1f},{y(s):.1f}" for d, s, _ in rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<line x1="{pad}" y1="{h-pad}" x2="{w-pad}" y2="{h-pad}" stroke="black"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h-pad}" stroke="black"/>',
             f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="2"/>',
             f'<text x="{w/2}" y="{h-12}" text-anchor="middle">layers in the Seq</text>',
             f'<text x="14" y="{h/2}" transform="rotate(-90 14 {h/2})" text-anchor="middle">seconds (g++ -O3)</text>',
             f'<text x="{w/2}" y="24" text-anchor="middle" font-size="14">Compile time of a training program vs. depth</text>']
    for d, s, _ in rows:
        parts.append(f'<circle cx="{x(d):.1f}" cy="{y(s):.1f}" r="3" fill="#1f77b4"/>')
        parts.append(f'<text x="{x(d):.1f}" y="{h-pad+16}" text-anchor="middle">{d}</text>')
    for k in range(0, 6):
        s = max_s * k / 5
        parts.append(f'<text x="{pad-6}" y="{y(s)+4:.1f}" text-anchor="end">{s:.1f}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compiler", default="g++")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--depths", default="2,4,8,16,32,64")
    args = ap.parse_args()
    flags = ["-std=c++20", "-O3", "-march=native", f"-I{ROOT}/include"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for depth in [int(d) for d in args.depths.split(",")]:
            layers = ", ".join(f"ctnn::Linear<{32 + i // 2}, {33 + i // 2}>" if i % 2 == 0 else "ctnn::ReLU"
                               for i in range(depth))
            src = os.path.join(tmp, f"depth{depth}.cpp")
            with open(src, "w") as f:
                f.write(PROGRAM.format(layers=layers))
            seconds, mb = measure(args.compiler, src, flags)
            rows.append((depth, seconds, mb))
            print(f"depth {depth:3d}: {seconds:6.2f} s, {mb:7.1f} MB", flush=True)
    # The MNIST example: its largest translation unit (training, evaluation and safetensors I/O
    # of one network type, with Adam and SGD) and its command-line part.
    example = os.path.join(ROOT, "examples", "mnist")
    mnist = [(name, *measure(args.compiler, os.path.join(example, src), flags + extra))
             for name, src, extra in (("examples/mnist/run_model.cpp (one network: training, evaluation, I/O)",
                                       "run_model.cpp", ["-DMNIST_NET=mnist::Mlp<ctnn::ReLU>",
                                                         '-DCTNN_MNIST_DEFAULT_DATA="data/mnist"']),
                                      ("examples/mnist/mnist.cpp (command line)", "mnist.cpp", []))]
    for name, s, mb in mnist:
        print(f"{name}: {s:.2f} s, {mb:.1f} MB")
    with open(os.path.join(args.out, "compile-time.md"), "w") as f:
        f.write(f"Measured by `tools/compile_time.py` with {args.compiler} -O3 -march=native.\n\n")
        f.write("| layers | seconds | peak MB | seconds per layer |\n|---:|---:|---:|---:|\n")
        for d, s, mb in rows:
            f.write(f"| {d} | {s:.2f} | {mb:.0f} | {s / d:.3f} |\n")
        for name, s, mb in mnist:
            f.write(f"| {name} | {s:.2f} | {mb:.0f} | |\n")
        f.write("\n![compile time](compile-time.svg)\n")
    svg_chart(rows, os.path.join(args.out, "compile-time.svg"))


if __name__ == "__main__":
    sys.exit(main())

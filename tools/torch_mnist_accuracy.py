#!/usr/bin/python3
"""Test accuracy in PyTorch of a ctnn-written MNIST model (e.g. from `mnist --save FILE` or
`mnist_cnn --save FILE`): rebuilds the nn.Sequential from the file's metadata (see
tools/safetensors_to_torch.py), loads it with strict=True and classifies the t10k test set.

    /usr/bin/python3 tools/torch_mnist_accuracy.py mnist.safetensors [data/mnist]
    /usr/bin/python3 tools/torch_mnist_accuracy.py lenet.safetensors [data/mnist] [--layers "Input<1,28,28>,..."]

Pixels are the bytes / 255. A model whose signature starts with Input<1,28,28> (a convolutional
network) gets 1 x 28 x 28 images, one without an Input marker (or with Input<784>) flat rows of
784 values. The model is evaluated in eval mode, as ctnn's inference: BatchNorm1d/BatchNorm2d
normalise with the file's running statistics, Dropout/Dropout2d are the identity. Bad input is a
one-line "error: ..." and exit status 2.
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_to_torch  # noqa: E402
from safetensors_to_torch import fail  # noqa: E402


def read_idx(path, magic, header):
    """The payload of an IDX file after its header, checking the magic number."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < header or int.from_bytes(raw[:4], "big") != magic:
        fail(f"{path}: not an IDX file of magic {magic:#010x}")
    return raw[header:]


def main():
    ap = safetensors_to_torch.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="safetensors file written by ctnn")
    ap.add_argument("data", nargs="?", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                            "data", "mnist"), help="folder of the MNIST IDX files")
    ap.add_argument("--layers", help="layer list for a file without metadata (see safetensors_to_torch.py)")
    args = ap.parse_args()

    model, input_shape, _, _ = safetensors_to_torch.load_model(args.model, args.layers)
    images = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte"), 0x803, 16)
    labels = torch.tensor(list(read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"), 0x801, 8)))
    if len(images) != 784 * len(labels):
        fail(f"{args.data}: {len(images)} pixel bytes for {len(labels)} labels, not 28 x 28 images")
    shape = input_shape or (784,)
    if math.prod(shape) != 784:
        fail(f"{args.model}: the model's input is {safetensors_to_torch.shape_text(shape)}, not an MNIST image "
             f"(1 x 28 x 28 or 784)")
    x = torch.frombuffer(bytearray(images), dtype=torch.uint8).reshape(-1, *shape).float() / 255
    with torch.no_grad():
        try:
            predicted = torch.cat([model(batch).reshape(len(batch), -1).argmax(1) for batch in x.split(1000)])
        except RuntimeError as e:
            fail(f"{args.model}: the model does not take MNIST images: {safetensors_to_torch.one_line(e)}")
    accuracy = (predicted == labels).float().mean().item()
    print(f"PyTorch test accuracy of {args.model}: {accuracy:.4f} ({int((predicted == labels).sum())}/{len(labels)})")


if __name__ == "__main__":
    safetensors_to_torch.run(main)

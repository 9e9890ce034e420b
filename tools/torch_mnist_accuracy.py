#!/usr/bin/python3
"""Test accuracy in PyTorch of a ctnn-written MNIST model (e.g. from `mnist --save FILE`):
rebuilds the nn.Sequential from the file's ctnn.signature, loads it with strict=True and
classifies the t10k test set.

    /usr/bin/python3 tools/torch_mnist_accuracy.py mnist.safetensors [data/mnist]
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_to_torch  # noqa: E402


def main():
    path = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                              "data", "mnist")
    tensors, meta = safetensors_to_torch.read_safetensors(path)
    model = safetensors_to_torch.build(meta["ctnn.signature"])
    model.load_state_dict(tensors, strict=True)
    with open(os.path.join(data, "t10k-images-idx3-ubyte"), "rb") as f:
        images = f.read()[16:]
    with open(os.path.join(data, "t10k-labels-idx1-ubyte"), "rb") as f:
        labels = torch.tensor(list(f.read()[8:]))
    x = torch.frombuffer(bytearray(images), dtype=torch.uint8).reshape(-1, 784).float() / 255
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == labels).float().mean().item()
    print(f"PyTorch test accuracy of {path}: {accuracy:.4f}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the PyTorch reference values that tests/test_torch_reference.cpp checks ctnn against.

Run with Debian's python3-torch (apt-get install python3-torch):
    /usr/bin/python3 tools/make_torch_fixtures.py tests/data

Parameters and inputs come from closed formulas (below, mirrored in the test) rather than a
random generator, so the files hold only results. For each network it records the logits, the
cross-entropy loss, the input gradient, every parameter gradient, and the parameters after three
Adam steps and after three SGD-momentum steps on the same batch. Tensors larger than 4096
elements are sampled every 97th element to keep the files small.
"""
import math
import sys

import torch
from torch import nn

from ctnn_modules import Residual  # tools/ctnn_modules.py: ctnn::Residual as a PyTorch module

SAMPLE_ABOVE = 4096
SAMPLE_STRIDE = 97


def formula_parameters(model):
    """Tensor k of the model, element j: sin(1.3 j + 0.7 k + 0.1) / sqrt(fan_in); a PReLU's slopes
    keep PyTorch's 0.25 (but count as a tensor); a BatchNorm's weight is 1 + 0.2 sin(...) and its
    bias 0.2 sin(...), its buffers PyTorch's (they count as no tensor)."""
    k = 0
    for layer in model.modules():  # depth first: a Residual's main path, then its shortcut
        if isinstance(layer, nn.PReLU):
            k += 1
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            for p, base in ((layer.weight, 1.0), (layer.bias, 0.0)):
                flat = [base + 0.2 * math.sin(1.3 * j + 0.7 * k + 0.1) for j in range(p.numel())]
                with torch.no_grad():
                    p.copy_(torch.tensor(flat, dtype=torch.float64).to(torch.float32))
                k += 1
        if isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d)):
            fan_in = layer.weight[0].numel()  # in_features; in_channels / groups x kernel (transposed: out)
            for p in (p for p in (layer.weight, layer.bias) if p is not None):
                flat = [math.sin(1.3 * j + 0.7 * k + 0.1) / math.sqrt(fan_in) for j in range(p.numel())]
                with torch.no_grad():
                    p.copy_(torch.tensor(flat, dtype=torch.float64).to(torch.float32).reshape(p.shape))
                k += 1


def formula_batch(batch, features, classes, shape=None):
    """x[r][i] = 0.5 + 0.5 sin(0.37 (r * features + i) + 0.2); label r = (7 r + 3) mod classes.
    A sample has `features` values, of the given shape (C, H, W) or flat."""
    x = [0.5 + 0.5 * math.sin(0.37 * n + 0.2) for n in range(batch * features)]
    x = torch.tensor(x, dtype=torch.float64).to(torch.float32).reshape(batch, *(shape or (features,)))
    labels = torch.tensor([(7 * r + 3) % classes for r in range(batch)], dtype=torch.long)
    return x, labels


def write_tensor(out, name, t):
    flat = t.detach().reshape(-1).to(torch.float64).tolist()
    stride = SAMPLE_STRIDE if len(flat) > SAMPLE_ABOVE else 1
    values = flat[::stride]
    out.write(f"{name} {len(flat)} {stride}\n")
    out.write(" ".join(f"{v:.9g}" for v in values) + "\n")


def run_steps(build, x, labels, make_optimizer, steps=3):
    model = build()
    formula_parameters(model)
    opt = make_optimizer(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()
    return model


def fixture(path, build, batch, shape=None):
    torch.manual_seed(0)
    model = build()
    formula_parameters(model)
    features = math.prod(shape) if shape else model[0].in_features
    classes = next(m for m in reversed(model) if isinstance(m, nn.Linear)).out_features
    x, labels = formula_batch(batch, features, classes, shape)
    x.requires_grad_(True)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    with open(path, "w") as out:
        out.write(f"# {model}\n".replace("\n", " ") + "\n")
        out.write(f"batch {batch}\n")
        write_tensor(out, "logits", logits)
        write_tensor(out, "loss", loss.reshape(1))
        write_tensor(out, "input_grad", x.grad)
        for name, p in model.named_parameters():
            write_tensor(out, f"grad.{name}", p.grad)
        x = x.detach()
        adam = run_steps(build, x, labels, lambda ps: torch.optim.Adam(ps, lr=1e-3))
        for name, p in adam.state_dict().items():  # parameters and buffers (running statistics)
            write_tensor(out, f"adam3.{name}", p)
        if any(b.numel() for b in adam.buffers()):  # inference with the running statistics
            adam.eval()
            write_tensor(out, "adam3.eval_logits", adam(x))
        sgd = run_steps(build, x, labels, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3))
        for name, p in sgd.state_dict().items():
            write_tensor(out, f"sgd3.{name}", p)


def bf16_fixture(path, build, batch, shape=None):
    """Inference in bfloat16 as model.to(torch.bfloat16) runs it (every parameter and the input
    rounded to bf16, each layer's output rounded), beside the fp32 model's, both in eval mode."""
    model = build()
    formula_parameters(model)
    model.eval()
    features = math.prod(shape) if shape else model[0].in_features
    x, _ = formula_batch(batch, features, 2, shape)
    with torch.no_grad():
        logits = model(x)
        logits_bf16 = model.to(torch.bfloat16)(x.to(torch.bfloat16)).float()
    with open(path, "w") as out:
        out.write(f"# {model}\n".replace("\n", " ") + "\n")
        out.write(f"batch {batch}\n")
        write_tensor(out, "logits", logits)
        write_tensor(out, "logits_bf16", logits_bf16)


def int8_fixture(path, build, batch, shape=None):
    """Post-training int8 quantisation as ctnn::Int8Model does it, with PyTorch's observers: each
    Linear's input range over the batch (run through the fp32 model) by MinMaxObserver (quint8,
    affine), its weight per output by PerChannelMinMaxObserver (qint8, symmetric, [-127, 127]);
    then the batch through the quantised model: every Linear's input fake-quantised, its product
    with the int8 weight computed exactly (float64) and scaled back; other layers in fp32."""
    from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver
    model = build()
    formula_parameters(model)
    model.eval()
    features = math.prod(shape) if shape else model[0].in_features
    x, _ = formula_batch(batch, features, 2, shape)
    params = {}
    with torch.no_grad():
        logits = model(x)
        h = x
        for i, layer in enumerate(model):  # calibration: the fp32 inputs of every Linear
            if isinstance(layer, nn.Linear):
                observer = MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
                observer(h)
                scale, zero = observer.calculate_qparams()
                weights = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                                   quant_min=-127, quant_max=127)
                weights(layer.weight)
                w_scale, _ = weights.calculate_qparams()
                w8 = torch.clamp(torch.round(layer.weight * (1.0 / w_scale[:, None])), -127, 127)
                params[i] = (scale.float(), int(zero), w_scale.float(), w8)
            h = layer(h)
        h = x
        for i, layer in enumerate(model):
            if i in params:
                scale, zero, w_scale, w8 = params[i]
                q = torch.clamp(torch.round(h * (1.0 / scale)) + zero, 0, 255)
                acc = (q.double() - zero) @ w8.double().t()
                h = (acc * (scale * w_scale).double()).float()
                if layer.bias is not None:
                    h = h + layer.bias
            else:
                h = layer(h)
    with open(path, "w") as out:
        out.write(f"# {model}\n".replace("\n", " ") + "\n")
        out.write(f"batch {batch}\n")
        write_tensor(out, "logits", logits)
        for i, (scale, zero, w_scale, w8) in params.items():
            write_tensor(out, f"{i}.input_scale", scale)
            write_tensor(out, f"{i}.input_zero_point", torch.tensor([zero]))
            write_tensor(out, f"{i}.weight_scale", w_scale)
            write_tensor(out, f"{i}.weight_int8", w8)
        write_tensor(out, "logits_int8", h)


def recurrent_fixture(path, modules, batch, steps, seed):
    """Recurrent layers (nn.GRU, nn.LSTM, batch_first) one after another, with PyTorch's default
    initialisation (seeded): every parameter as "<position>.<name>", the inputs and the outputs,
    each sample stored as ctnn stores a sequence, channels by time ({C, T})."""
    torch.manual_seed(seed)
    layers = [build() for build in modules]
    x = torch.randn(batch, steps, layers[0].input_size)
    y = x
    with torch.no_grad():
        for layer in layers:
            y = layer(y)[0]
    with open(path, "w") as out:
        out.write("# " + ", ".join(str(m) for m in layers) + f", batch {batch}, {steps} steps\n")
        for i, layer in enumerate(layers):
            for name, p in layer.named_parameters():
                write_tensor(out, f"{i}.{name}", p)
        write_tensor(out, "inputs", x.transpose(1, 2))  # (N, T, C) -> (N, C, T)
        write_tensor(out, "outputs", y.transpose(1, 2))


def diagnostics_fixture(path, build, batch, lr, scale):
    """What ctnn::train::Diagnostics reports for one SGD step (lr, no momentum) on the formula
    batch: per Linear weight the mean |grad|, ||grad||, ||W|| after the step and
    ||W_after - W_before|| / ||W_after||; per activation the fraction of inactive outputs (slope at
    most 1% of its largest; LeakyReLU: output <= 0)."""
    model = build()
    formula_parameters(model)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)  # a power of two: exact, as in the test
    features, classes = model[0].in_features, model[-1].out_features
    x, labels = formula_batch(batch, features, classes)
    outputs = {}
    for i, layer in enumerate(model):
        layer.register_forward_hook(lambda m, inp, out, i=i: outputs.__setitem__(i, out.detach()))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), labels).backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    opt.step()
    with open(path, "w") as out:
        out.write(f"# {model}\n".replace("\n", " ") + "\n")
        out.write(f"# formula parameters times {scale}, one SGD step, lr {lr}, on the formula batch of {batch}\n")
        for name, p in model.named_parameters():
            if not name.endswith("weight"):
                continue
            g, w = grads[name].double(), p.detach().double()
            ratio = (w - before[name].double()).norm() / w.norm()
            for what, v in (("grad_mean_abs", g.abs().mean()), ("grad_norm", g.norm()), ("weight_norm", w.norm()),
                            ("update_ratio", ratio)):
                out.write(f"{name}.{what} 1 1\n{v.item():.9g}\n")
        for i, layer in enumerate(model):
            y = outputs[i].double()
            if isinstance(layer, nn.Sigmoid):
                inactive = y * (1 - y) <= 0.25 * 0.01
            elif isinstance(layer, nn.Tanh):
                inactive = 1 - y * y <= 0.01
            elif isinstance(layer, (nn.ReLU, nn.LeakyReLU)):
                inactive = y <= 0
            else:
                continue
            out.write(f"{i}.inactive 1 1\n{inactive.double().mean().item():.9g}\n")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    torch.set_num_threads(1)
    fixture(f"{out_dir}/torch_mnist_net.txt",
            lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)),
            batch=8)
    fixture(f"{out_dir}/torch_odd_net.txt",
            lambda: nn.Sequential(nn.Linear(13, 17), nn.Sigmoid(), nn.Linear(17, 9), nn.Tanh(), nn.Linear(9, 6),
                                  nn.LeakyReLU(), nn.Linear(6, 5)),
            batch=5)
    fixture(f"{out_dir}/torch_elu_net.txt",
            lambda: nn.Sequential(nn.Linear(7, 6), nn.ELU(), nn.Linear(6, 5), nn.ELU(alpha=0.5), nn.Linear(5, 3)),
            batch=4)
    fixture(f"{out_dir}/torch_gelu_softmax_net.txt",
            lambda: nn.Sequential(nn.Linear(9, 12, bias=False), nn.GELU(), nn.Linear(12, 7), nn.Tanh(), nn.Linear(7, 5),
                                  nn.Softmax(dim=1)),
            batch=4)
    fixture(f"{out_dir}/torch_prelu_net.txt",
            lambda: nn.Sequential(nn.Linear(8, 10), nn.PReLU(), nn.Linear(10, 6), nn.PReLU(num_parameters=6),
                                  nn.Linear(6, 4)),
            batch=5)
    # Convolutional networks: every Conv2d option and pooling layer ctnn has.
    fixture(f"{out_dir}/torch_cnn_net.txt",
            lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                                  nn.Tanh(), nn.AvgPool2d(3, stride=1, padding=1), nn.Flatten(), nn.Linear(96, 5)),
            batch=3, shape=(1, 10, 10))
    fixture(f"{out_dir}/torch_cnn_options_net.txt",
            lambda: nn.Sequential(nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2), bias=False), nn.ReLU(),
                                  nn.Conv2d(6, 6, 3, padding='same', dilation=2), nn.ELU(),
                                  nn.Conv2d(6, 6, (2, 4), padding='same', groups=2), nn.LeakyReLU(),
                                  nn.Conv2d(6, 6, 3, groups=6), nn.MaxPool2d(3, stride=2, padding=1),
                                  nn.Conv2d(6, 4, 1), nn.Sigmoid(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4, 3)),
            batch=2, shape=(3, 11, 12))
    # Batch normalisation in training mode (batch statistics), its running statistics after three
    # steps, and inference with them: images, feature vectors, sequences. The layers before a
    # BatchNorm have no bias, as usual (its gradient would be zero up to rounding, which Adam's
    # normalised step turns into noise). Tanh, not ReLU, after the BatchNorm2d: the gradient
    # BatchNorm1d passes back sums to zero over the batch, and through ReLU and max pooling alone
    # the BatchNorm2d's bias gradient would be zero too.
    fixture(f"{out_dir}/torch_batchnorm_net.txt",
            lambda: nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), nn.BatchNorm2d(4), nn.Tanh(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(64, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(),
                                  nn.Linear(8, 3)),
            batch=4, shape=(2, 10, 10))
    fixture(f"{out_dir}/torch_batchnorm1d_sequence_net.txt",
            lambda: nn.Sequential(nn.BatchNorm1d(3), nn.Flatten(), nn.Linear(15, 4)),
            batch=3, shape=(3, 5))
    # One-dimensional convolutions on sequences (channels x time): padding, 'same' with an even
    # kernel, stride, dilation, groups, no bias, 1x1, and a BatchNorm1d over the time axis.
    fixture(f"{out_dir}/torch_conv1d_net.txt",
            lambda: nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.Tanh(), nn.Conv1d(4, 4, 4, padding='same'),
                                  nn.ELU(), nn.Conv1d(4, 4, 3, stride=2, dilation=2, groups=2, bias=False),
                                  nn.BatchNorm1d(4), nn.ReLU(), nn.Conv1d(4, 3, 1), nn.Flatten(), nn.Linear(18, 5)),
            batch=3, shape=(2, 16))
    # Pooling along time: max and average, strides, padding.
    fixture(f"{out_dir}/torch_pool1d_net.txt",
            lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(4, 4, 3, padding=1),
                                  nn.Tanh(), nn.AvgPool1d(3, stride=1, padding=1), nn.MaxPool1d(3, stride=2, padding=1),
                                  nn.Flatten(), nn.Linear(20, 3)),
            batch=3, shape=(2, 20))
    # Transposed convolutions (upsampling): stride, padding, output padding, groups, dilation, no bias.
    fixture(f"{out_dir}/torch_conv_transpose1d_net.txt",
            lambda: nn.Sequential(nn.Conv1d(2, 4, 3, stride=2), nn.ReLU(),
                                  nn.ConvTranspose1d(4, 4, 4, stride=2, padding=1, output_padding=1, groups=2), nn.Tanh(),
                                  nn.ConvTranspose1d(4, 2, 3, dilation=2, bias=False), nn.Flatten(), nn.Linear(30, 3)),
            batch=3, shape=(2, 12))
    # Residual blocks (a TCN): a dilated convolution shortening the sequence, PReLU and BatchNorm on
    # the main path (no bias before a BatchNorm, as usual), a 1x1 convolution on the shortcut (its last
    # steps added); an identity block.
    fixture(f"{out_dir}/torch_residual_net.txt",
            lambda: nn.Sequential(Residual(nn.Sequential(nn.Conv1d(2, 4, 3, dilation=2, bias=False), nn.PReLU(4),
                                                         nn.BatchNorm1d(4)), nn.Sequential(nn.Conv1d(2, 4, 1))),
                                  nn.ReLU(), Residual(nn.Sequential(nn.Conv1d(4, 4, 3, padding='same'), nn.Tanh())),
                                  nn.Flatten(), nn.Linear(48, 3)),
            batch=4, shape=(2, 16))
    # Recurrent layers: hidden sizes of 8 (AVX2 vectors), 5 (scalar) and 16 (AVX-512 vectors).
    recurrent_fixture(f"{out_dir}/torch_recurrent_net.txt",
                      [lambda: nn.GRU(3, 8, batch_first=True), lambda: nn.LSTM(8, 5, batch_first=True),
                       lambda: nn.GRU(5, 16, batch_first=True), lambda: nn.LSTM(16, 16, batch_first=True)],
                      batch=2, steps=12, seed=4)
    # Sequences long enough (32 steps and more) for the packed hidden products of AVX2 builds:
    # 3, 4 and 9 vectors of gate rows.
    recurrent_fixture(f"{out_dir}/torch_recurrent_long_net.txt",
                      [lambda: nn.GRU(2, 16, batch_first=True), lambda: nn.LSTM(16, 8, batch_first=True),
                       lambda: nn.GRU(8, 24, batch_first=True)],
                      batch=2, steps=36, seed=5)
    # bfloat16 inference: every activation, a Linear without bias, odd sizes; a convolutional
    # network (its convolution, BatchNorm and pooling run in fp32 on bf16 values).
    bf16_fixture(f"{out_dir}/torch_bf16_mlp.txt",
                 lambda: nn.Sequential(nn.Linear(40, 48), nn.ReLU(), nn.Linear(48, 33), nn.Sigmoid(),
                                       nn.Linear(33, 20, bias=False), nn.Tanh(), nn.Linear(20, 17), nn.LeakyReLU(),
                                       nn.Linear(17, 5)),
                 batch=37)
    bf16_fixture(f"{out_dir}/torch_bf16_cnn.txt",
                 lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                       nn.Linear(64, 10), nn.Sigmoid(), nn.Linear(10, 3)),
                 batch=5, shape=(1, 10, 10))
    # int8 inference: the same MLP, calibrated on its batch.
    int8_fixture(f"{out_dir}/torch_int8_mlp.txt",
                 lambda: nn.Sequential(nn.Linear(40, 48), nn.ReLU(), nn.Linear(48, 33), nn.Sigmoid(),
                                       nn.Linear(33, 20, bias=False), nn.Tanh(), nn.Linear(20, 17), nn.LeakyReLU(),
                                       nn.Linear(17, 5)),
                 batch=37)
    # Parameters 16x the formula's, so that some sigmoid and tanh outputs saturate.
    diagnostics_fixture(f"{out_dir}/torch_diagnostics.txt",
                        lambda: nn.Sequential(nn.Linear(13, 17), nn.Sigmoid(), nn.Linear(17, 9), nn.Tanh(),
                                              nn.Linear(9, 6), nn.LeakyReLU(), nn.Linear(6, 5)),
                        batch=6, lr=0.05, scale=16.0)


if __name__ == "__main__":
    main()

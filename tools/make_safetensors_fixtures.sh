#!/usr/bin/env bash
# Regenerates the PyTorch-exported safetensors fixtures that tests/test_safetensors.cpp loads:
# one small net in each dtype ctnn reads, a net with every activation, convolutional nets (on
# images and on sequences, with 1-D pooling), a recurrent one (GRU, LSTM), a TCN of residual
# blocks and an upsampling one (transposed convolutions), each with seeded inputs and PyTorch's
# outputs. Needs python3-torch
# (tools/install-deps.sh --torch).
set -euo pipefail
cd "$(dirname "$0")/.."
export=(/usr/bin/python3 tools/torch_to_safetensors.py)
small="Linear(13,17),Tanh,Linear(17,5)"
for dtype in F32 F16 BF16 F64; do
  suffix=$([[ $dtype == F32 ]] && echo "" || echo "_${dtype,,}")
  "${export[@]}" --layers "$small" --seed 1 --dtype "$dtype" --samples 8 \
    --outputs "tests/data/torch_export_small$suffix.txt" "tests/data/torch_export_small$suffix.safetensors"
done
"${export[@]}" --layers "Linear(6,8),LeakyReLU(0.2),Linear(8,8),Sigmoid,Linear(8,7),ReLU,Linear(7,3),LeakyReLU" \
  --seed 2 --samples 6 --outputs tests/data/torch_export_activations.txt tests/data/torch_export_activations.safetensors
"${export[@]}" --layers "Linear(9,12,bias=False),GELU,Linear(12,7),Tanh,Linear(7,5),Softmax" \
  --seed 3 --samples 5 --outputs tests/data/torch_export_gelu_softmax.txt tests/data/torch_export_gelu_softmax.safetensors
"${export[@]}" --layers "Linear(5,6),PReLU,Linear(6,4),PReLU(4),Linear(4,3)" \
  --seed 4 --samples 5 --outputs tests/data/torch_export_prelu.txt tests/data/torch_export_prelu.safetensors
# Convolutional networks: the input shape (--input C,H,W) and every Conv2d and pooling option,
# in PyTorch's spelling and in ctnn's.
"${export[@]}" --layers "Conv2d(1,4,3,padding=1),ReLU,MaxPool2d(2),Conv2d(4,6,3,stride=2,bias=False),Tanh,AdaptiveAvgPool2d(1),Flatten,Linear(6,3)" \
  --input 1,10,10 --seed 1 --samples 4 --outputs tests/data/torch_export_cnn.txt tests/data/torch_export_cnn.safetensors
"${export[@]}" --layers "Input<2,7,9>,Conv2D<2,4,3,KernelWidth<2>,SamePadding>,ELU,Conv2D<4,4,3,Stride<2,1>,Padding<1,0>,Dilation<1,2>,Groups<2>>,PReLU<4>,AvgPool2D<3,Stride<1>,Padding<1>>,MaxPool2D<2,KernelWidth<3>,Stride<1,2>>,Flatten,Linear<24,5>,Softmax" \
  --seed 5 --samples 3 --outputs tests/data/torch_export_cnn_options.txt tests/data/torch_export_cnn_options.safetensors
# Batch normalisation and dropout, both spellings: a seeded model whose BatchNorm weights and
# biases are random and whose running statistics come from three training-mode batches (so
# running_mean, running_var and num_batches_tracked = 3 are not the defaults), saved as a
# state_dict and exported with --layers; the outputs are eval mode's.
bn_state=$(mktemp --suffix=.pt)
conv1d_state=$(mktemp --suffix=.pt)
recurrent_state=$(mktemp --suffix=.pt)
residual_state=$(mktemp --suffix=.pt)
trap 'rm -f "$bn_state" "$conv1d_state" "$recurrent_state" "$residual_state"' EXIT
# trained_state LAYERS INPUT SEED STATE: writes such a state_dict to STATE, INPUT the sample shape
# (C,H,W or C,T).
trained_state() {
  LAYERS=$1 INPUT=$2 SEED=$3 STATE=$4 /usr/bin/python3 - <<'PY'
import os, sys
import torch
sys.path.insert(0, "tools")
from safetensors_to_torch import parse_layers
torch.manual_seed(int(os.environ["SEED"]))
_, model = parse_layers(os.environ["LAYERS"])
shape = [int(d) for d in os.environ["INPUT"].split(",")]
with torch.no_grad():
    for m in model.modules():  # a Residual's layers too
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
    model.train()
    for _ in range(3):
        model(torch.randn(16, *shape) * 1.5 + 0.4)
torch.save(model.state_dict(), os.environ["STATE"])
PY
}
bn_layers="Conv2d(2,4,3,bias=False),BatchNorm2d(4),ReLU,Dropout2d(0.25),MaxPool2d(2),Flatten,Linear(16,8,bias=False),BatchNorm1d<8>,Tanh,Dropout(p=0.5),Linear(8,3)"
trained_state "$bn_layers" 2,6,6 6 "$bn_state"
"${export[@]}" --layers "$bn_layers" --input 2,6,6 --seed 6 --samples 4 \
  --outputs tests/data/torch_export_batchnorm.txt "$bn_state" tests/data/torch_export_batchnorm.safetensors
# 1-D convolutions on sequences (--input C,T, here Input<2,16> in the list): nn.Conv1d with
# padding, padding='same' with an even kernel (and with dilation), stride, dilation, groups and
# bias=False, per-channel PReLU and BatchNorm1d on C x T (running statistics trained as above).
conv1d_layers="Input<2,16>,Conv1d(2,4,3,padding=1),Tanh,Conv1D<4,4,4,SamePadding>,PReLU(4),Conv1d(4,4,3,stride=2,dilation=2,groups=2,bias=False),BatchNorm1d(4),ReLU,Conv1D<4,6,2,Dilation<3>,Groups<2>,SamePadding>,ELU,Conv1d(6,3,3,stride=2,padding=2),Flatten,Linear(12,5)"
trained_state "$conv1d_layers" 2,16 7 "$conv1d_state"
"${export[@]}" --layers "$conv1d_layers" --seed 7 --samples 6 \
  --outputs tests/data/torch_export_conv1d.txt "$conv1d_state" tests/data/torch_export_conv1d.safetensors
# 1-D pooling on sequences: nn.MaxPool1d with stride and padding right on the inputs (the padding
# never wins, negative values included), nn.AvgPool1d with padding counted as zeros, windows that
# leave a step over (floor mode), a stride of 1, and nn.AvgPool1d(2, stride=2) (ctnn::AvgPool1D<2>:
# a stride equal to the kernel is not written); both spellings.
"${export[@]}" --layers "Input<3,20>,MaxPool1d(3,stride=2,padding=1),Conv1d(3,4,3,padding=1),ReLU,AvgPool1D<3,Stride<2>,Padding<1>>,Tanh,MaxPool1d(2,stride=1),AvgPool1d(2,stride=2),Flatten,Linear(8,3)" \
  --seed 8 --samples 5 --outputs tests/data/torch_export_pool1d.txt tests/data/torch_export_pool1d.safetensors
# Recurrent layers on sequences, from a state_dict ("0.weight_ih_l0", ...) as PyTorch users have
# one: nn.GRU(1, 8) and nn.LSTM(8, 6) (batch_first; each sample {C, T} in ctnn, transposed for
# PyTorch, every step's hidden state taken from output[0]), then nn.Conv1d(6, 1, 1), a Linear on
# each step; both spellings. Hidden sizes 8 (a vector) and 6 (a remainder).
recurrent_layers="Input<1,16>,GRU(1,8),LSTM<8,6>,Conv1d(6,1,1)"
trained_state "$recurrent_layers" 1,16 9 "$recurrent_state"
"${export[@]}" --layers "$recurrent_layers" --seed 9 --samples 4 \
  --outputs tests/data/torch_export_recurrent.txt "$recurrent_state" tests/data/torch_export_recurrent.safetensors
# Residual blocks (tools/ctnn_modules.py's Residual, ctnn::Residual), a small TCN from a state_dict
# ("0.main.0.weight", "0.shortcut.0.bias"): a dilated nn.Conv1d without padding (16 -> 12 steps),
# PReLU(4) and BatchNorm1d(4) (running statistics trained as above) on the main path and a 1x1
# nn.Conv1d on the shortcut, whose last 12 steps are added; then an identity block around a
# Conv1d with padding='same'; both spellings.
residual_layers="Input<2,16>,Residual(main=[Conv1d(2,4,3,dilation=2),PReLU(4),BatchNorm1d(4)],shortcut=[Conv1d(2,4,1)]),ReLU,Residual<Conv1D<4,4,3,SamePadding>,Tanh>,Conv1d(4,1,1)"
trained_state "$residual_layers" 2,16 10 "$residual_state"
"${export[@]}" --layers "$residual_layers" --seed 10 --samples 5 \
  --outputs tests/data/torch_export_residual.txt "$residual_state" tests/data/torch_export_residual.safetensors
# Transposed convolutions on sequences (nn.ConvTranspose1d, ctnn::ConvTranspose1D): a strided
# nn.Conv1d (12 -> 5 steps), then stride 2 with padding, output_padding and groups (5 -> 11) and
# dilation 2 without bias (11 -> 15); weights [In, Out / groups, K]; both spellings.
"${export[@]}" --layers "Input<2,12>,Conv1d(2,4,3,stride=2),ReLU,ConvTranspose1d(4,4,4,stride=2,padding=1,output_padding=1,groups=2),Tanh,ConvTranspose1D<4,2,3,Dilation<2>,NoBias>,Flatten,Linear(30,3)" \
  --seed 11 --samples 5 --outputs tests/data/torch_export_conv_transpose1d.txt tests/data/torch_export_conv_transpose1d.safetensors

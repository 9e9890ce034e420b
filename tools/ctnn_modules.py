"""PyTorch modules that mirror ctnn layers without an nn counterpart, for the tools next to this
file (torch_to_safetensors.py, safetensors_to_torch.py, make_torch_fixtures.py) and for users,
who import it (tools/ on sys.path) or copy the class into their code.

Residual mirrors ctnn::Residual<Layers..., ctnn::Shortcut<Layers...>> (include/ctnn/model/residual.hpp):
y = main(x) + shortcut(x), the shortcut the identity when none is given. A TCN block, a dilated
convolution without padding, PReLU and BatchNorm on the main path and a 1x1 convolution that
matches the channels on the skip path, and an identity block after it:

    import torch
    from torch import nn
    from ctnn_modules import Residual  # tools/ on sys.path, or copy the class

    model = nn.Sequential(
        Residual(nn.Sequential(nn.Conv1d(2, 4, 3, dilation=2), nn.PReLU(4), nn.BatchNorm1d(4)),
                 nn.Sequential(nn.Conv1d(2, 4, 1))),                     # shortcut: 2 -> 4 channels
        nn.ReLU(),
        Residual(nn.Sequential(nn.Conv1d(4, 4, 3, padding='same'), nn.Tanh())),  # identity shortcut
        nn.Conv1d(4, 1, 1))
    torch.save(model, "tcn.pt")  # or torch.save(model.state_dict(), ...) and --layers
    # /usr/bin/python3 tools/torch_to_safetensors.py --input 2,16 tcn.pt tcn.safetensors prints
    # using Net = ctnn::Seq<ctnn::Input<2, 16>, ctnn::Residual<ctnn::Conv1D<2, 4, 3, ctnn::Dilation<2>>,
    #     ctnn::PReLU<4>, ctnn::BatchNorm1d<4>, ctnn::Shortcut<ctnn::Conv1D<2, 4, 1>>>, ctnn::ReLU,
    #     ctnn::Residual<ctnn::Conv1D<4, 4, 3, ctnn::SamePadding>, ctnn::Tanh>, ctnn::Conv1D<4, 1, 1>>;

The paths are nn.Sequential (a list of modules is made one), so that the state_dict names are
ctnn's: "0.main.0.weight", "0.main.2.running_mean", "0.shortcut.0.bias" (no "shortcut" entries
for the identity). Both paths end in the same shape, or, on sequences (N, C, T), in the same
channels with the main path no longer in time: convolutions without padding shorten it, and the
shortcut's LAST steps are added (causal alignment: output t sees inputs up to t, as ctnn streams
it). Above, the main path gives 4 x 12 for a 2 x 16 input and the shortcut 4 x 16, of which
steps 4..15 are added. Works on feature vectors (nn.Linear paths) and images alike, where the
shapes must be equal.

A state_dict of such a model exports with the layers given in torch_to_safetensors.py's --layers,
a block as Residual(main=[layers...],shortcut=[layers...]) or in ctnn's spelling
Residual<layers...,Shortcut<layers...>>:
    --layers "Residual(main=[Conv1d(2,4,3,dilation=2),PReLU(4),BatchNorm1d(4)],shortcut=[Conv1d(2,4,1)]),ReLU,..."
and tools/safetensors_to_torch.py rebuilds a ctnn model's Residual blocks as this class.
"""
from torch import nn


class Residual(nn.Module):
    """ctnn::Residual: main(x) + shortcut(x) (the identity without one); on sequences the
    shortcut's last steps when the main path is shorter in time."""

    def __init__(self, main, shortcut=None):
        super().__init__()
        self.main = nn.Sequential(*main) if isinstance(main, (list, tuple)) else main
        if shortcut is not None:
            self.shortcut = nn.Sequential(*shortcut) if isinstance(shortcut, (list, tuple)) else shortcut

    def forward(self, x):
        y = self.main(x)
        s = self.shortcut(x) if hasattr(self, "shortcut") else x
        if s.dim() == 3 and s.shape[-1] > y.shape[-1]:
            s = s[..., s.shape[-1] - y.shape[-1]:]
        return y + s

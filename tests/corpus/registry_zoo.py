"""A patch-mixing image classifier written against a model-registry package that is not installed here: its
init helper is called for its side effect, its drop-path layer is used only when a rate is set, and each factory
is registered by its decorator (the habits of vision repositories built on a shared layers-and-registry library)."""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from imagezoo.layers import DropPath, trunc_normal_
from imagezoo.registry import register_model


class ChannelNorm(nn.Module):
    """LayerNorm over channels for either layout, chosen by a string."""

    def __init__(self, dim, eps=1e-6, data_format="channels_last"):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.eps, self.data_format, self.dim = eps, data_format, (dim,)

    def forward(self, x):
        if self.data_format == "channels_last":
            return F.layer_norm(x, self.dim, self.weight, self.bias, self.eps)
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class MixBlock(nn.Module):
    def __init__(self, dim, drop_path=0.0):
        super().__init__()
        self.spatial = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.norm = ChannelNorm(dim)
        self.up = nn.Linear(dim, 3 * dim)
        self.down = nn.Linear(3 * dim, dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

    def forward(self, x):
        y = self.spatial(x).permute(0, 2, 3, 1)
        y = self.down(F.gelu(self.up(self.norm(y)))).permute(0, 3, 1, 2)
        return x + self.drop_path(y)


class PatchMixer(nn.Module):
    def __init__(self, in_chans=3, num_classes=100, depths=(2, 2), dims=(32, 64), drop_path_rate=0.0):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_chans, dims[0], 4, 4), ChannelNorm(dims[0], data_format="channels_first"))
        rates = [r.item() for r in torch.linspace(0, drop_path_rate, sum(depths))]
        stages, k = [], 0
        for i, (depth, dim) in enumerate(zip(depths, dims)):
            if i > 0:
                stages.append(nn.Conv2d(dims[i - 1], dim, 2, 2))
            stages.extend(MixBlock(dim, rates[k + j]) for j in range(depth))
            k += depth
        self.stages = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(dims[-1])
        self.head = nn.Linear(dims[-1], num_classes)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head(self.norm(x.mean([-2, -1])))


@register_model
def patchmixer_tiny(pretrained=False, **kwargs):
    return PatchMixer(depths=(2, 2), dims=(32, 64), **kwargs)


@register_model
def patchmixer_small(pretrained=False, **kwargs):
    model = PatchMixer(depths=(2, 4), dims=(48, 96), **kwargs)
    if pretrained:
        model.load_state_dict(torch.hub.load_state_dict_from_url("https://example.invalid/small.pth"))
    return model


make_wide = partial(PatchMixer, dims=(64, 128))

"""A diffusion U-Net's residual block in the style of the popular denoising repositories: the time embedding
becomes a (scale, shift) pair passed to the inner block by keyword, and that block unpacks it, which TorchScript
cannot compile (an unannotated argument is a Tensor), so hybrid mode traces it with the inputs it really gets."""
import math

import torch
import torch.nn.functional as F
from torch import nn


def exists(x):
    return x is not None


class Block(nn.Module):
    def __init__(self, dim, dim_out):
        super().__init__()
        self.proj = nn.Conv2d(dim, dim_out, 3, padding=1)
        self.act = nn.SiLU()

    def forward(self, x, scale_shift=None):
        x = self.proj(x)
        if exists(scale_shift):
            scale, shift = scale_shift
            x = x * (scale + 1) + shift
        return self.act(x)


class ResnetBlock(nn.Module):
    def __init__(self, dim, dim_out, time_emb_dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_emb_dim, dim_out * 2))
        self.block1 = Block(dim, dim_out)
        self.block2 = Block(dim_out, dim_out)
        self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

    def forward(self, x, time_emb):
        time_emb = self.mlp(time_emb)[:, :, None, None]
        h = self.block1(x, scale_shift=time_emb.chunk(2, dim=1))
        return self.block2(h) + self.res_conv(x)


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        half = self.dim // 2
        emb = torch.exp(torch.arange(half, device=x.device) * -(math.log(10000) / (half - 1)))
        emb = x[:, None] * emb[None, :]
        return torch.cat((emb.sin(), emb.cos()), dim=-1)


class TinyUnet(nn.Module):
    def __init__(self, dim=16, channels=3):
        super().__init__()
        self.dim = dim
        self.init_conv = nn.Conv2d(channels, dim, 7, padding=3)
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, dim * 4), nn.GELU(),
                                      nn.Linear(dim * 4, dim * 4))
        self.down = ResnetBlock(dim, dim * 2, dim * 4)
        self.out = nn.Conv2d(dim * 2, channels, 1)

    def forward(self, x, time):
        t = self.time_mlp(time)
        return self.out(F.silu(self.down(self.init_conv(x), t)))

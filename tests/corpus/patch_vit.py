"""A vision transformer in the style of a research repository's: keyword-only constructor, the image cut into
patches by a small layer of its own (a pattern-string reshape, as einops' Rearrange does it), no example inputs.
The image size is given to the constructor and kept nowhere but in the sizes it computes."""
import torch
from torch import nn


def pair(t):
    return t if isinstance(t, tuple) else (t, t)


class ToPatches(nn.Module):
    """b c (h p1) (w p2) -> b (h w) (p1 p2 c)"""

    def __init__(self, p1, p2):
        super().__init__()
        self.p1, self.p2 = p1, p2

    def forward(self, x):
        b, c, h, w = x.shape
        x = x.reshape(b, c, h // self.p1, self.p1, w // self.p2, self.p2)
        return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // self.p1) * (w // self.p2), -1)


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ff = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))

    def forward(self, x):
        y = self.norm(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.ff(x)


class PatchViT(nn.Module):
    def __init__(self, *, image_size, patch_size, num_classes, dim, depth, heads, channels=3):
        super().__init__()
        ih, iw = pair(image_size)
        ph, pw = pair(patch_size)
        assert ih % ph == 0 and iw % pw == 0, "Image dimensions must be divisible by the patch size."
        patch_dim = channels * ph * pw
        self.to_patch_embedding = nn.Sequential(ToPatches(ph, pw), nn.LayerNorm(patch_dim), nn.Linear(patch_dim, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, (ih // ph) * (iw // pw), dim))
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.head = nn.Linear(dim, num_classes)

    def forward(self, img):
        x = self.to_patch_embedding(img) + self.pos_embedding
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=1))

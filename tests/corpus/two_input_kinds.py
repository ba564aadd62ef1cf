"""An image-text matching model whose forward takes three inputs of different kinds: float images, integer token
ids and a boolean padding mask. Both towers add learned position tables, so the sizes must be the constructor's
own (image_size, context_length); nothing in the file calls the model (in the style of contrastive
image-text repositories)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    """One head of self-attention; where `padding_mask` is True the key is ignored."""

    def __init__(self, width):
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.scale = width ** -0.5

    def forward(self, x, padding_mask: torch.Tensor | None = None):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(1, 2) * self.scale
        if padding_mask is not None:
            scores = scores.masked_fill(padding_mask[:, None, :], float("-inf"))
        return x + self.out(scores.softmax(-1) @ v)


class ImageTower(nn.Module):
    def __init__(self, image_size, patch_size, width, out_dim):
        super().__init__()
        self.patch = nn.Conv2d(3, width, patch_size, patch_size, bias=False)
        self.pos = nn.Parameter(torch.randn((image_size // patch_size) ** 2, width) * 0.02)
        self.block = Attention(width)
        self.proj = nn.Linear(width, out_dim, bias=False)

    def forward(self, image):
        x = self.patch(image).flatten(2).transpose(1, 2) + self.pos
        return self.proj(self.block(x).mean(1))


class TextTower(nn.Module):
    def __init__(self, vocab_size, context_length, width, out_dim):
        super().__init__()
        self.token = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(context_length, width) * 0.01)
        self.block = Attention(width)
        self.proj = nn.Linear(width, out_dim, bias=False)

    def forward(self, tokens, padding_mask):
        x = self.block(self.token(tokens) + self.pos, padding_mask)
        keep = (~padding_mask).unsqueeze(-1).to(x.dtype)
        return self.proj((x * keep).sum(1) / keep.sum(1).clamp(min=1.0))


class ImageTextMatcher(nn.Module):
    def __init__(self, embed_dim=32, image_size=48, patch_size=8, vocab_size=500, context_length=12, width=64):
        super().__init__()
        self.visual = ImageTower(image_size, patch_size, width, embed_dim)
        self.text = TextTower(vocab_size, context_length, width, embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(2.659))

    def forward(self, image, tokens, padding_mask):
        image_features = F.normalize(self.visual(image), dim=-1)
        text_features = F.normalize(self.text(tokens, padding_mask), dim=-1)
        logits = self.logit_scale.exp() * image_features @ text_features.t()
        return logits, logits.t()

"""An attention block in the style of a speech model's: the causal flag is computed from a size read off the
query's shape, which is a plain int in eager mode and a Tensor under tracing."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SelfAttention(nn.Module):
    def __init__(self, n_state: int = 16, n_head: int = 2):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_state, n_state * 3)
        self.out = nn.Linear(n_state, n_state)
        self.register_buffer("mask", torch.full((32, 32), float("-inf")).triu_(1), persistent=False)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None):  # noqa: UP045 (as the repositories write it)
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        n_batch, n_ctx, n_state = q.shape
        q, k, v = (t.view(n_batch, n_ctx, self.n_head, -1).transpose(1, 2) for t in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=self.mask is not None and n_ctx > 1)
        return self.out(a.transpose(1, 2).flatten(start_dim=2))

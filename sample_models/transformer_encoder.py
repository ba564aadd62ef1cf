"""A transformer encoder: attention blocks, and a graph that grows fast when inlined.

Built from torch's own nn.TransformerEncoderLayer. The module-level graph is a short
chain of layer boxes; the inlined graph expands every attention and feed-forward op
(the 12-layer sample, transformer_12_layers.py, is about 17,000 IR nodes). Start from the module
view, and use the inlined view to see what one layer really does.
"""
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, d_model: int = 32, heads: int = 4, num_layers: int = 2):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.encoder(x))


def model() -> nn.Module:
    return Encoder()


def example_inputs():
    return (torch.randn(2, 10, 32),)

"""A 12-layer transformer encoder: a model too big to draw at once, walked one level at a time.

Scripted and inlined it is about 17,000 IR nodes: no layout can show that on one screen. The module
graph shows the top level (the encoder and a layer norm). Double-click `encoder.forward()` to open
the stack of 12 layers, then one layer to see attention, the feed-forward block and the residual
adds, and `self_attn` for multi-head attention's own graph, with its `prim::If` checks. Search
("linear", "L24") finds nodes in the open level; the breadcrumb above the graph goes back up.
"""
import torch
from torch import nn


class Encoder12(nn.Module):
    def __init__(self, d_model: int = 256, heads: int = 8, num_layers: int = 12):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.encoder(x))


def model() -> nn.Module:
    return Encoder12().eval()


def example_inputs():
    return (torch.randn(2, 16, 256),)

"""Feed-forward: the case where trace and script agree.

A stack of Linear layers and activations does the same thing for every input: no
branch depends on the data and no loop depends on a shape. Tracing records exactly
the ops that scripting compiles, so both graphs hold the same aten::linear and
aten::relu nodes. This is the baseline to compare the other samples against.
"""
import torch
from torch import nn


class FeedForward(nn.Module):
    def __init__(self, in_features: int = 16, hidden: int = 32, out_features: int = 4):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.head(x)


def model() -> nn.Module:
    return FeedForward()


def example_inputs():
    return (torch.randn(4, 16),)


def check_inputs():
    return [(torch.randn(1, 16),), (torch.randn(9, 16),)]

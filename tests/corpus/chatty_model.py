"""A model file that talks, as research code does: a banner at import, the layer sizes from the constructor,
and a debug print of the shape inside forward (which runs when tracing, and when tsviz checks the inputs)."""
import ctypes

import torch
from torch import nn

print("chatty_model: loading (v0.3)")
ctypes.CDLL(None).puts(b"chatty_model: a C library says hello")  # straight to fd 1, as a C extension would


class Chatty(nn.Module):
    def __init__(self, hidden: int = 8):
        super().__init__()
        print(f"building Chatty with hidden={hidden}")
        self.fc = nn.Linear(4, hidden)
        self.out = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("forward got", x.shape)
        return self.out(torch.relu(self.fc(x)))

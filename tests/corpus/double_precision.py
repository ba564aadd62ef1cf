"""A small surrogate model as simulation repositories write one: built in PyTorch's default float32, then run in
double precision by the script's own code (`.double()` on the model and float64 sample points)."""
import torch
from torch import nn


class Surrogate(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, width), nn.Tanh(), nn.Linear(width, 1))

    def forward(self, points):
        return self.body(points)


if __name__ == "__main__":
    model = Surrogate().double()
    samples = torch.rand(64, 3, dtype=torch.float64)
    print(model(samples).mean())

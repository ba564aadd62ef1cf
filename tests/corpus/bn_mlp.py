"""A plain MLP with batch norm and dropout, converted for inference."""
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, d_in=20, d_hidden=64, n_classes=5):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(d_in, d_hidden), nn.BatchNorm1d(d_hidden), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(d_hidden, d_hidden), nn.BatchNorm1d(d_hidden), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(d_hidden, n_classes),
        )

    def forward(self, x):
        return self.layers(x)

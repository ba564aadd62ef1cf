"""A model file that asks for an installed package's version at import time (importlib.metadata), for a
distribution that is not installed."""
import importlib.metadata

from torch import nn

HELPER_VERSION = importlib.metadata.version("tsviz-missing-helper-dist")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)

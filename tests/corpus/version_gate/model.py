"""A model file whose top level checks a version through a submodule it never imports (`import xml` then
`xml.dom`), as code does that ran where another package had imported the submodule first."""
import xml

import torch
from torch import nn

NODE_KINDS = xml.dom.Node.ELEMENT_NODE  # works only where xml.dom was imported before


class TinyNet(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.fc = nn.Linear(width, 2)

    def forward(self, x):
        return torch.relu(self.fc(x))

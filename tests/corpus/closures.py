"""Functions kept on modules, as research code writes them: a lambda activation, a gate made in __init__ that
closes over the model's own layer and is handed to a child, a nested def, a list of lambdas, and a layer that is
never registered as a submodule."""
import torch
import torch.nn as nn


class Swish(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = lambda t: t * torch.sigmoid(t)

    def forward(self, x):
        return self.act(self.fc(x))


class GatedHead(nn.Module):
    def __init__(self, gate, width=16):
        super().__init__()
        self.gate = gate
        self.norm = nn.LayerNorm(width)

    def forward(self, x):
        return self.gate(self.norm(x))


class GatedNet(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.proj = nn.Linear(width, width)
        self.gate = lambda x: self.proj(x) * torch.sigmoid(x)
        self.head = GatedHead(self.gate, width)
        self.out = nn.Linear(width, 4)

    def forward(self, x):
        return self.out(self.head(x) + x)


class NestedAct(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.fc = nn.Linear(width, width)

        def act(x):
            return self.fc(x).relu()

        self.act = act

    def forward(self, x):
        return self.act(x) + x


class ActivationList(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.activations = [lambda t: t.relu(), lambda t: t.tanh()]

    def forward(self, x):
        x = self.fc(x)
        for act in self.activations:
            x = act(x)
        return x


class Unregistered(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        shared = nn.Linear(width, width)
        self.project = lambda x: shared(x)

    def forward(self, x):
        return self.project(x) + x


class GatedStack(nn.Module):
    """GatedNet one level down: its head's gate still reaches GatedNet's own proj."""

    def __init__(self, width=16):
        super().__init__()
        self.block = GatedNet(width)
        self.final = nn.Linear(4, 2)

    def forward(self, x):
        return self.final(self.block(x))

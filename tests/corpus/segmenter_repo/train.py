"""The repository's training entry point: a script beside the package, importing it by its absolute name."""
import os

import torch
from segnet import SegNet
from segnet.config import SegConfig

os.makedirs("checkpoints", exist_ok=True)
config = SegConfig(width=8)
model = SegNet(config)
optimizer = torch.optim.Adam(model.parameters())
for step in range(10):
    x = torch.randn(2, 3, 32, 32)
    loss = model(x).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
torch.save(model.state_dict(), "checkpoints/segnet.pth")

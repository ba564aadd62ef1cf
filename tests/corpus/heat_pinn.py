"""A physics-informed network for the 1-D heat equation, as scientific repositories write one: double precision
throughout, a small MLP over (x, t) points, and a script under `__main__` whose sizes come from its options. The
script builds the model, runs it once on collocation points to check the shapes, then trains it."""
import argparse

import torch
from torch import nn


class HeatPINN(nn.Module):
    def __init__(self, width=32, depth=3, dtype=torch.float64):
        super().__init__()
        layers = [nn.Linear(2, width, dtype=dtype), nn.Tanh()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width, dtype=dtype), nn.Tanh()]
        self.net = nn.Sequential(*layers, nn.Linear(width, 1, dtype=dtype))

    def forward(self, xt):
        return self.net(xt)


def residual(model, xt, alpha=0.1):
    u = model(xt)
    grads = torch.autograd.grad(u.sum(), xt, create_graph=True)[0]
    u_x, u_t = grads[:, :1], grads[:, 1:]
    u_xx = torch.autograd.grad(u_x.sum(), xt, create_graph=True)[0][:, :1]
    return u_t - alpha * u_xx


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=96)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5000)
    args = parser.parse_args()

    model = HeatPINN(width=args.width)
    xt = torch.rand(args.points, 2).double().requires_grad_(True)
    print("u:", model(xt).shape)

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = residual(model, xt).pow(2).mean()
        loss.backward()
        optimizer.step()

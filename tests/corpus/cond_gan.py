"""A conditional GAN training script in the style of the well-known GAN collections: options at the top level, no
__main__ guard, the generator joining a label embedding with the noise before its first Linear, and the
training loop below the classes (tsviz runs only what the classes need)."""
import argparse

import numpy as np
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--n_epochs", type=int, default=200)
parser.add_argument("--latent_dim", type=int, default=64)
parser.add_argument("--n_classes", type=int, default=10)
parser.add_argument("--img_size", type=int, default=16)
opt = parser.parse_args()

img_shape = (1, opt.img_size, opt.img_size)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.label_emb = nn.Embedding(opt.n_classes, opt.n_classes)
        self.model = nn.Sequential(
            nn.Linear(opt.latent_dim + opt.n_classes, 128),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(128, int(np.prod(img_shape))),
            nn.Tanh(),
        )

    def forward(self, noise, labels):
        gen_input = torch.cat((self.label_emb(labels), noise), -1)
        img = self.model(gen_input)
        return img.view(img.size(0), *img_shape)


generator = Generator()
optimizer = torch.optim.Adam(generator.parameters(), lr=0.0002)
for epoch in range(opt.n_epochs):
    z = torch.randn(8, opt.latent_dim)
    labels = torch.randint(0, opt.n_classes, (8,))
    loss = generator(z, labels).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

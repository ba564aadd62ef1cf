"""A DCGAN training script in the style of the well-known examples collection: no __main__ guard, a required
--dataset whose if/elif chain sets the image channels (nc) the generator reads, a generator that starts from a
1x1 latent with ConvTranspose2d, and a multi-GPU branch through nn.parallel.data_parallel."""
import argparse

import torch
import torch.nn as nn
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", required=True, help="cifar10 | mnist | fake")
parser.add_argument("--dataroot", required=False, help="path to dataset")
parser.add_argument("--nz", type=int, default=32, help="size of the latent z vector")
parser.add_argument("--ngf", type=int, default=8)
parser.add_argument("--ngpu", type=int, default=1)
parser.add_argument("--niter", type=int, default=25)
opt = parser.parse_args()

if opt.dataset == "cifar10":
    nc = 3
elif opt.dataset == "mnist":
    nc = 1
elif opt.dataset == "fake":
    nc = 3

nz, ngf, ngpu = int(opt.nz), int(opt.ngf), int(opt.ngpu)


class Generator(nn.Module):
    def __init__(self, ngpu):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


netG = Generator(ngpu)
optimizerG = optim.Adam(netG.parameters(), lr=0.0002)
for epoch in range(opt.niter):
    fake = netG(torch.randn(4, nz, 1, 1))
    fake.mean().backward()
    optimizerG.step()

"""A sentence classifier configured by an argparse.Namespace, with the parser at the top of the file."""
import argparse

import torch.nn as nn

parser = argparse.ArgumentParser(description="sentence classification")
parser.add_argument("--d_embed", type=int, default=100)
parser.add_argument("--d_hidden", type=int, default=64)
parser.add_argument("--n_vocab", type=int, default=1000)
parser.add_argument("--n_classes", type=int, default=3)
parser.add_argument("--dropout", type=float, default=0.2)


class Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.rnn = nn.LSTM(input_size=config.d_embed, hidden_size=config.d_hidden, batch_first=True)

    def forward(self, inputs):
        outputs, (ht, ct) = self.rnn(inputs)
        return ht[-1]


class Classifier(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.n_vocab, config.d_embed)
        self.encoder = Encoder(config)
        self.dropout = nn.Dropout(p=config.dropout)
        self.out = nn.Sequential(nn.Linear(config.d_hidden, config.d_hidden), nn.ReLU(),
                                 nn.Linear(config.d_hidden, config.n_classes))

    def forward(self, tokens):
        embedded = self.embed(tokens)
        return self.out(self.dropout(self.encoder(embedded)))


if __name__ == "__main__":
    args = parser.parse_args()
    print(Classifier(args))

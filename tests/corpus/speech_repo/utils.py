import torch


def lengths_mask(lengths):
    longest = int(torch.max(lengths).item())
    ids = torch.arange(0, longest, out=torch.cuda.LongTensor(longest))
    return ids < lengths.unsqueeze(1)

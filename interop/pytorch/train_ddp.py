#!/usr/bin/env python3
"""Train a Quill model with PyTorch's DistributedDataParallel, then hand it back to Quill.

Starts from a Quill checkpoint (its weights, config and vocabulary) or from a Quill vocabulary
and a model shape, trains on a text with truncated BPTT over N processes (gloo, so CPU-only
machines work; each process takes a contiguous share of the text and DDP averages the gradients),
and saves the result as a Quill checkpoint that `quill generate`, `quill perplexity` and
`quill train --from` read.

    # one machine, 2 processes:
    python train_ddp.py --text new.txt --from checkpoints/lighthouse --out checkpoints/ddp --procs 2
    # several machines: run it under torchrun, which sets RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT:
    torchrun --nnodes 2 --nproc-per-node 8 ... train_ddp.py --text big.txt --vocab vocab.json \\
        --level word --embed 650 --hidden 650 --layers 2 --out checkpoints/big
"""
import argparse
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quill  # noqa: E402


def build(args):
    if args.from_checkpoint:
        loaded = quill.load(args.from_checkpoint)
        return loaded.model, loaded.vocab, loaded.level
    import json
    with open(args.vocab, encoding="utf-8") as f:
        vocab = json.load(f)
    model = quill.RNNModel(args.cell, len(vocab), args.embed, args.hidden, args.layers, args.dropout or 0.0, args.tie_weights)
    return model, vocab, args.level


def detach(state):
    """The state without its history; an attention model's is (recurrent state, memory, lengths)."""
    return tuple(detach(s) for s in state) if isinstance(state, tuple) else state.detach()


def worker(rank, world, args):
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(args.seed)  # the same initial weights on every process
    model, vocab, level = build(args)
    if args.dropout is not None:
        model.drop.p = args.dropout
    with open(args.text, encoding="utf-8") as f:
        ids = quill.encode(f.read(), vocab, level)
    share = len(ids) // world
    mine = torch.tensor(ids[rank * share:(rank + 1) * share], dtype=torch.long)
    columns = len(mine) // args.batch
    data = mine[:columns * args.batch].view(args.batch, columns).t().contiguous()  # (steps, B)
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        state = model.init_state(args.batch)
        total, count = 0.0, 0
        for start in range(0, data.size(0) - 1, args.seq_len):
            length = min(args.seq_len, data.size(0) - 1 - start)
            x, y = data[start:start + length], data[start + 1:start + 1 + length]
            state = detach(state)
            optimizer.zero_grad()
            logits, state = ddp(x, state)
            loss = loss_fn(logits.view(-1, logits.size(-1)), y.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(ddp.parameters(), args.clip)
            optimizer.step()
            total, count = total + loss.item() * length, count + length
        summed = torch.tensor([total, float(count)])
        dist.all_reduce(summed)
        if rank == 0:
            print(f"epoch {epoch + 1}: training loss {summed[0] / summed[1]:.4f}", flush=True)
    if rank == 0:
        path = quill.save(args.out, model, vocab, level=level)
        print(f"saved {path}", flush=True)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text", required=True)
    parser.add_argument("--out", required=True, help="checkpoint folder to write")
    parser.add_argument("--from", dest="from_checkpoint", help="Quill checkpoint to start from")
    parser.add_argument("--vocab", help="Quill vocabulary (quill export-vocab CKPT vocab.json) for a new model")
    parser.add_argument("--level", choices=["char", "word"], default="char")
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn-tanh", "rnn-relu"])
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=None, help="default: the checkpoint's, or 0 for a new model")
    parser.add_argument("--tie-weights", action="store_true")
    parser.add_argument("--batch", type=int, default=16, help="rows per process")
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--procs", type=int, default=2, help="processes on this machine (ignored under torchrun)")
    args = parser.parse_args()
    if not args.from_checkpoint and not args.vocab:
        parser.error("give --from CHECKPOINT, or --vocab FILE and a model shape")
    if "RANK" in os.environ:  # under torchrun
        worker(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), args)
    else:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29517")
        mp.spawn(worker, args=(args.procs, args), nprocs=args.procs)


if __name__ == "__main__":
    main()

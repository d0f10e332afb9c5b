#!/usr/bin/env python3
"""Reference timing for the deep-network step: one minibatch SGD step of an L-hidden-layer ReLU
MLP (width m, k outputs, softmax cross-entropy, float32) in PyTorch on the CPU, as a researcher
writes it by hand — the step `mflab` runs for a deep network with the `standard` scaling
(ARCHITECTURE.md §7). The row the GEMM and deep-network issues ask for is L = 4, m = 2048,
B = 256, d = 784, k = 10.

Same timing loop, output format and BLAS check as torch_softmax_sgd_step.py (after the
project's anchor ../../../shared/anchors/torch_gd_step.py).

Run:  /usr/bin/python3 torch_deep_sgd_step.py --threads 2 --workload 256,784,2048,10,4
Each workload is B,d,m,k,L. One JSON object per line:
  {"impl": "torch-autograd", "n": B, "d", "m", "k", "depth": L, "dtype", "threads",
   "ms_per_step", "blas": torch_blas.detect_blas()}
"""
import argparse, json, statistics, time

import torch

from torch_blas import detect_blas, warn_if_reference


def make(n, d, m, k, depth, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = torch.randint(0, k, (n,), generator=g)
    widths = [d] + [m] * depth + [k]
    layers = []
    for l in range(depth + 1):
        W = torch.randn(widths[l + 1], widths[l], generator=g) * (2.0 / widths[l]) ** 0.5
        b = torch.zeros(widths[l + 1]) if l < depth else None
        layers.append((W, b))
    return X, y, layers


def autograd_step(X, y, layers, lr, lam):
    params = [p for W, b in layers for p in (W, b) if p is not None]
    for p in params:
        p.requires_grad_(True)
    h = X
    for l, (W, b) in enumerate(layers):
        z = h @ W.T
        if b is not None:
            z = z + b
        h = torch.relu(z) if l < len(layers) - 1 else z
    risk = torch.nn.functional.cross_entropy(h, y)
    grads = torch.autograd.grad(risk, params)
    with torch.no_grad():
        for p, gp in zip(params, grads):
            p.mul_(1 - lr * lam).sub_(lr * gp)
    for p in params:
        p.requires_grad_(False)


def timeit(step, args, seconds):
    step(*args)
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 3:
        t0 = time.perf_counter()
        step(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workload", action="append", required=True, help="B,d,m,k,L")
    p.add_argument("--seconds", type=float, default=3.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    blas = detect_blas()
    warn_if_reference(blas)
    for w in a.workload:
        n, d, m, k, depth = (int(v) for v in w.split(","))
        X, y, layers = make(n, d, m, k, depth)
        s = timeit(autograd_step, (X, y, layers, 0.1, 1e-4), a.seconds)
        print(json.dumps({"impl": "torch-autograd", "n": n, "d": d, "m": m, "k": k, "depth": depth, "dtype": "float32",
                          "threads": a.threads, "ms_per_step": s * 1e3, "blas": blas}), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference timing for the real-data step: one minibatch SGD step of a two-layer ReLU network
with k outputs on softmax cross-entropy, in PyTorch (CPU), as a researcher would write it by
hand — the same step `mflab` runs for Fashion-MNIST (mean-field scaling, weight decay, float32).

It follows ../../../shared/anchors/torch_gd_step.py (the project's anchor for the scalar GD step):
same timing loop, same output format, autograd and a manual backward pass.

Run:  /usr/bin/python3 torch_softmax_sgd_step.py --threads 2 --workload 100,784,1024,10
Each workload is B,d,m,k (batch, input dimension, width, outputs). One JSON object per line:
  {"impl": "torch-autograd"|"torch-manual", "n": B, "d", "m", "k", "dtype", "threads",
   "ms_per_step", "pairs_per_s": B*m/seconds_per_step, "blas": torch_blas.detect_blas()}
The BLAS torch runs on is detected first (torch_blas.py); on the reference BLAS the timings are
still printed, with "blas": {..., "valid": false}, and a line on stderr says how to fix it.
"""
import argparse, json, statistics, time

import torch

from torch_blas import detect_blas, warn_if_reference


def make(n, d, m, k, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = torch.randint(0, k, (n,), generator=g)
    A = torch.randn(m, d + 1, generator=g) / (d + 1) ** 0.5
    B = torch.randn(m, k, generator=g)
    Xt = torch.cat([X, torch.ones(n, 1)], dim=1)  # x̃ = (x, 1)
    return Xt, y, A, B


def autograd_step(X, y, A, B, lr, lam):
    m = A.shape[0]
    A.requires_grad_(True)
    B.requires_grad_(True)
    f = torch.relu(X @ A.T) @ B / m
    risk = torch.nn.functional.cross_entropy(f, y)
    gA, gB = torch.autograd.grad(risk, (A, B))
    with torch.no_grad():
        A.sub_(lr * (m * gA + lam * A))
        B.sub_(lr * (m * gB + lam * B))
    A.requires_grad_(False)
    B.requires_grad_(False)


def manual_step(X, y, A, B, lr, lam):
    n, m = X.shape[0], A.shape[0]
    Z = X @ A.T
    H = torch.relu(Z)
    P = torch.softmax(H @ B / m, dim=1)
    P[torch.arange(n), y] -= 1
    R = P / n  # residuals, n × k
    gB = H.T @ R
    gA = ((Z > 0).to(X.dtype) * (R @ B.T)).T @ X
    A.sub_(lr * (gA + lam * A))
    B.sub_(lr * (gB + lam * B))


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
    p.add_argument("--workload", action="append", required=True, help="B,d,m,k")
    p.add_argument("--seconds", type=float, default=3.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    blas = detect_blas()
    warn_if_reference(blas)
    for w in a.workload:
        n, d, m, k = (int(v) for v in w.split(","))
        for name, step in (("torch-autograd", autograd_step), ("torch-manual", manual_step)):
            X, y, A, B = make(n, d, m, k)
            s = timeit(step, (X, y, A, B, 0.1, 1e-4), a.seconds)
            print(json.dumps({"impl": name, "n": n, "d": d, "m": m, "k": k, "dtype": "float32",
                              "threads": a.threads, "ms_per_step": s * 1e3, "pairs_per_s": n * m / s, "blas": blas}),
                  flush=True)


if __name__ == "__main__":
    main()

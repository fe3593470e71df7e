"""Trains one StoryForge luma super-resolution model (×2 or ×4) on the training split of the
mate-backgrounds nature photographs and writes its weights (SFSR format, see common.py).

    python train.py --images DIR --scale 2 --steps 6000 --out sfsr-x2.bin
"""

import argparse
import json
import os
import random
import time

import numpy as np
from PIL import Image

import common


def build_pool(directory, scale):
    """Every (LR luma, HR luma) pair the patches are drawn from: each training photograph at its
    own size and reduced by 3/4 and 1/2 (Pillow LANCZOS, so some pairs have sharper detail per
    pixel), each degraded by box averaging and by antialiased bicubic."""
    pool = []
    for name in common.TRAIN:
        rgb = common.load_rgb(directory, name)
        for shrink in (1.0, 0.75, 0.5):
            if shrink < 1:
                h, w = rgb.shape[:2]
                size = (int(w * shrink), int(h * shrink))
                hr = np.asarray(Image.fromarray(rgb).resize(size, Image.LANCZOS))
            else:
                hr = rgb
            hr = common.crop_to_multiple(hr, scale)
            target = (common.luma(hr) / 255).astype(np.float32)
            for degradation in ("box", "bicubic"):
                lr = common.DEGRADATIONS[degradation](hr, scale)
                source = (common.luma(lr) / 255).astype(np.float32)
                pool.append((source, target, degradation))
    return pool


def sample_batch(pool, rng, batch, patch, scale):
    xs = np.empty((batch, 1, patch, patch), np.float32)
    ys = np.empty((batch, 1, patch * scale, patch * scale), np.float32)
    for b in range(batch):
        source, target, _ = pool[rng.integers(len(pool))]
        h, w = source.shape
        y0 = rng.integers(h - patch + 1)
        x0 = rng.integers(w - patch + 1)
        x = source[y0 : y0 + patch, x0 : x0 + patch]
        y = target[y0 * scale : (y0 + patch) * scale, x0 * scale : (x0 + patch) * scale]
        k = rng.integers(4)
        x, y = np.rot90(x, k), np.rot90(y, k)
        if rng.integers(2):
            x, y = x[:, ::-1], y[:, ::-1]
        xs[b, 0] = x
        ys[b, 0] = y
    return xs, ys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", required=True, help="the extracted nature/ directory")
    parser.add_argument("--scale", type=int, required=True, choices=(2, 4))
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=48, help="low-resolution patch side")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.use_deterministic_algorithms(True)

    started = time.time()
    pool = build_pool(args.images, args.scale)
    print(f"pool: {len(pool)} pairs in {time.time() - started:.0f} s", flush=True)
    model = common.build_model(args.scale)
    print(f"parameters: {common.parameter_count(model)}", flush=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.steps, pct_start=0.05, anneal_strategy="cos"
    )
    running = 0.0
    for step in range(1, args.steps + 1):
        xs, ys = sample_batch(pool, rng, args.batch, args.patch, args.scale)
        x = torch.from_numpy(xs)
        y = torch.from_numpy(ys)
        out = model(x)
        # Charbonnier (smooth L1): sharper than L2 and steadier than plain L1.
        loss = torch.sqrt((out - y) ** 2 + 1e-6).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running += loss.item()
        if step % 200 == 0:
            print(f"step {step} loss {running / 200:.5f} {time.time() - started:.0f} s", flush=True)
            running = 0.0
        if step % 1000 == 0 or step == args.steps:
            common.export_weights(model, args.out)
            torch.save(model.state_dict(), args.out + ".pt")
    digest = common.export_weights(model, args.out)
    torch.save(model.state_dict(), args.out + ".pt")
    elapsed = time.time() - started
    summary = {
        "scale": args.scale,
        "parameters": common.parameter_count(model),
        "steps": args.steps,
        "seconds": round(elapsed),
        "sha256": digest,
    }
    print(json.dumps(summary), flush=True)
    with open(args.out + ".json", "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()

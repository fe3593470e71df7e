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


def detail_maps(pool, scale, patch, stride=4):
    """For each pair of the pool, the patch origins on a `stride` grid and a sampling weight for
    each: the square root of the patch's squared error after a bicubic enlargement of its source.
    Flat sky and out-of-focus background, which bicubic already gets right, teach the network
    nothing, and these photographs are mostly that."""
    import torch
    import torch.nn.functional as F

    phases = torch.from_numpy(common.bicubic_phases(scale, 5))
    maps = []
    for source, target, _ in pool:
        x = torch.from_numpy(source)[None, None]
        with torch.no_grad():
            enlarged = F.pixel_shuffle(F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), phases), scale)
        error = (enlarged[0, 0].numpy().astype(np.float64) - target) ** 2
        h, w = source.shape
        per_source_pixel = error.reshape(h, scale, w, scale).sum(axis=(1, 3))
        integral = np.pad(per_source_pixel.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        ys, xs = np.meshgrid(np.arange(0, h - patch + 1, stride), np.arange(0, w - patch + 1, stride), indexing="ij")
        ys, xs = ys.ravel(), xs.ravel()
        energy = (
            integral[ys + patch, xs + patch] - integral[ys, xs + patch] - integral[ys + patch, xs] + integral[ys, xs]
        )
        cumulative = np.cumsum(np.sqrt(np.maximum(energy, 0)) + 1e-9)
        maps.append((ys, xs, cumulative))
    return maps


def sample_batch(pool, maps, rng, batch, patch, scale, detail, stride=4):
    """`batch` patch pairs, each from a random pair of the pool: with probability `detail` at an
    origin drawn by `detail_maps`' weights (jittered within its grid cell), else uniformly."""
    xs = np.empty((batch, 1, patch, patch), np.float32)
    ys = np.empty((batch, 1, patch * scale, patch * scale), np.float32)
    for b in range(batch):
        index = rng.integers(len(pool))
        source, target, _ = pool[index]
        h, w = source.shape
        # (No draw at all when detail is 0, so `--detail 0 --l2-tail 0` repeats the earlier recipe.)
        if detail > 0 and rng.random() < detail:
            origins_y, origins_x, cumulative = maps[index]
            j = min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1])), len(cumulative) - 1)
            y0 = min(origins_y[j] + rng.integers(stride), h - patch)
            x0 = min(origins_x[j] + rng.integers(stride), w - patch)
        else:
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
    parser.add_argument("--detail", type=float, default=0.8,
                        help="share of patches drawn where bicubic errs most (the rest uniformly)")
    parser.add_argument("--l2-tail", type=float, default=0.2,
                        help="share of the final steps trained on squared error (PSNR's loss)")
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
    maps = detail_maps(pool, args.scale, args.patch)
    print(f"pool: {len(pool)} pairs in {time.time() - started:.0f} s", flush=True)
    model = common.build_model(args.scale)
    print(f"parameters: {common.parameter_count(model)}", flush=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.steps, pct_start=0.05, anneal_strategy="cos"
    )
    running = 0.0
    for step in range(1, args.steps + 1):
        xs, ys = sample_batch(pool, maps, rng, args.batch, args.patch, args.scale, args.detail)
        x = torch.from_numpy(xs)
        y = torch.from_numpy(ys)
        out = model(x)
        if step > args.steps * (1 - args.l2_tail):
            loss = ((out - y) ** 2).mean()
        else:
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
        "batch": args.batch,
        "detail": args.detail,
        "l2_tail": args.l2_tail,
        "seconds": round(elapsed),
        "sha256": digest,
    }
    print(json.dumps(summary), flush=True)
    with open(args.out + ".json", "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()

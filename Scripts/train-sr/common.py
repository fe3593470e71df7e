"""Shared pieces of the StoryForge learned super-resolution scripts: data, degradations, model,
weights export. Everything here is deterministic given its inputs."""

import hashlib
import os
import struct

import numpy as np
from PIL import Image

# The Debian `mate-backgrounds` package's `nature/` photographs (GPL-2+, see README.md).
ALL_IMAGES = [
    "Aqua.jpg", "Blinds.jpg", "Dune.jpg", "FreshFlower.jpg", "Garden.jpg", "GreenMeadow.jpg",
    "LadyBird.jpg", "RainDrops.jpg", "Storm.jpg", "TwoWings.jpg", "Wood.jpg", "YellowFlower.jpg",
]
# Held out from training, used only for evaluation: "mate-nature-heldout-3".
HELD_OUT = ["GreenMeadow.jpg", "RainDrops.jpg", "Wood.jpg"]
TRAIN = [name for name in ALL_IMAGES if name not in HELD_OUT]


def load_rgb(directory, name):
    return np.asarray(Image.open(os.path.join(directory, name)).convert("RGB"))


def luma(rgb):
    """BT.601 luma of an RGB array in 0...255, unrounded, float64."""
    rgb = rgb.astype(np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def crop_to_multiple(rgb, multiple):
    h, w = rgb.shape[:2]
    return rgb[: h - h % multiple, : w - w % multiple]


def degrade_box(rgb, scale):
    """Box average of each scale × scale block, rounded to 8 bits (UpscaleKit's boxDownscale)."""
    h, w, c = rgb.shape
    blocks = rgb.astype(np.float64).reshape(h // scale, scale, w // scale, scale, c).mean(axis=(1, 3))
    return np.clip(np.floor(blocks + 0.5), 0, 255).astype(np.uint8)


def degrade_bicubic(rgb, scale):
    """Pillow's antialiased BICUBIC reduction (the filter widened by the factor)."""
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).resize((w // scale, h // scale), Image.BICUBIC))


DEGRADATIONS = {"box": degrade_box, "bicubic": degrade_bicubic}


# ---- model -------------------------------------------------------------------------------------

# (kernel, in, out, prelu) for the body; the head adds a linear 5×5 skip from the input.
# ×2 is the wider, deeper one (29,964 parameters): at ×2 each low-resolution pixel's work makes only
# four output pixels, and the extra layer was worth about +0.07 dB on the held-out set.
def architecture(scale):
    if scale == 2:
        return [(5, 1, 32, True), (3, 32, 32, True), (3, 32, 32, True), (3, 32, 32, True), (3, 32, 4, False)]
    return [(5, 1, 32, True), (3, 32, 16, True), (3, 16, 16, True), (3, 16, scale * scale, False)]


SKIP_KERNEL = 5


def receptive_radius(scale):
    return sum((k - 1) // 2 for k, _, _, _ in architecture(scale))


def build_model(scale):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class SFSR(nn.Module):
        """Luma super-resolution in low-resolution space: replicate-pad the input by the network's
        receptive radius, valid convolutions with PReLU, plus a linear 5×5 skip (initialised to
        bicubic phases), then pixel shuffle. Replicate padding of the input alone (instead of zero
        padding per layer) is what makes tiled inference equal untiled inference."""

        def __init__(self):
            super().__init__()
            self.scale = scale
            self.radius = receptive_radius(scale)
            layers = architecture(scale)
            self.convs = nn.ModuleList([nn.Conv2d(i, o, k) for k, i, o, _ in layers])
            self.acts = nn.ModuleList([nn.PReLU(o, init=0.1) if a else nn.Identity() for _, _, o, a in layers])
            self.skip = nn.Conv2d(1, scale * scale, SKIP_KERNEL)
            for conv in self.convs:
                nn.init.kaiming_normal_(conv.weight, a=0.1, nonlinearity="leaky_relu")
                nn.init.zeros_(conv.bias)
            nn.init.normal_(self.convs[-1].weight, std=1e-3)
            with torch.no_grad():
                self.skip.weight.copy_(torch.from_numpy(bicubic_phases(scale, SKIP_KERNEL)))
                self.skip.bias.zero_()

        def forward(self, x):
            # x: N×1×H×W luma in 0...1, offset by −0.5 inside so the biases start near zero.
            r = self.radius
            p = F.pad(x - 0.5, (r, r, r, r), mode="replicate")
            y = p
            for conv, act in zip(self.convs, self.acts):
                y = act(conv(y))
            s = SKIP_KERNEL // 2
            inner = p[:, :, r - s : p.shape[2] - (r - s), r - s : p.shape[3] - (r - s)]
            y = y + self.skip(inner)
            return F.pixel_shuffle(y, self.scale) + 0.5

    return SFSR()


def bicubic_phases(scale, size):
    """The `scale²` sub-pixel phases of Keys' cubic (a = −0.5) enlargement as size×size kernels,
    pixel-centre aligned (output x samples the source at (x + 0.5)/s − 0.5)."""

    def cubic(t):
        t = abs(t)
        if t < 1:
            return 1.5 * t**3 - 2.5 * t**2 + 1
        if t < 2:
            return -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2
        return 0.0

    half = size // 2
    taps = np.zeros((scale, size))
    for phase in range(scale):
        position = (phase + 0.5) / scale - 0.5  # relative to the source pixel at the kernel centre
        for k in range(size):
            taps[phase, k] = cubic(k - half - position)
        taps[phase] /= taps[phase].sum()
    kernels = np.zeros((scale * scale, 1, size, size), dtype=np.float32)
    for py in range(scale):
        for px in range(scale):
            kernels[py * scale + px, 0] = np.outer(taps[py], taps[px])
    return kernels


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


# ---- weights file -------------------------------------------------------------------------------
#
# "SFSR" little-endian: magic, u32 version (1), u32 scale, u32 layer count; per layer u32 kernel,
# u32 in, u32 out, u32 activation (0 none, 1 PReLU); then the skip as a layer record; then every
# layer's float32 weights in [ky][kx][in][out] order, biases [out], PReLU slopes [out] (if any),
# in the same order as the records.


def export_weights(model, path):
    layers = architecture(model.scale)
    records = [(k, i, o, 1 if a else 0) for k, i, o, a in layers] + [(SKIP_KERNEL, 1, model.scale**2, 0)]
    blob = bytearray(b"SFSR")
    blob += struct.pack("<III", 1, model.scale, len(records))
    for record in records:
        blob += struct.pack("<IIII", *record)
    modules = list(zip(model.convs, model.acts)) + [(model.skip, None)]
    for (conv, act), (_, _, _, has_prelu) in zip(modules, records):
        w = conv.weight.detach().numpy().astype(np.float32)  # out, in, ky, kx
        blob += np.ascontiguousarray(w.transpose(2, 3, 1, 0)).astype("<f4").tobytes()
        blob += conv.bias.detach().numpy().astype("<f4").tobytes()
        if has_prelu:
            blob += act.weight.detach().numpy().astype("<f4").tobytes()
    with open(path, "wb") as f:
        f.write(bytes(blob))
    return hashlib.sha256(bytes(blob)).hexdigest()

#!/usr/bin/env python3
"""Side-by-side PNG/JPEG decode and encode timings: Pillow vs StoryForge MediaIO.

For every input file, in one run, the two tools are measured alternately
(Pillow batch, StoryForge batch, Pillow batch, ... for --rounds rounds) and
the minimum per operation over all repeats is reported.

Pillow side (in this Python process, file bytes already in memory):
  decode: im = Image.open(BytesIO(data)); im.load()
  encode: im.save(BytesIO(), "PNG", compress_level=6)            (PNG input)
          im.save(BytesIO(), "JPEG", quality=90, subsampling=2,    (JPEG input)
                  optimize=False, progressive=False)
  The image encoded is the one decoded from the input file.

StoryForge side: the example CLI, run as
  BIN IN OUT --repeat N --quality 90 --subsampling 420     (JPEG input)
  BIN IN OUT --repeat N --compression-level 6              (PNG input)
where OUT is a temporary file with the extension of IN. The CLI must print
  decode_ms=<float>
  encode_ms=<float>
on stdout: the minimum over the N repeats, measured inside the process with
the file bytes already in memory (the same thing the Pillow side measures).
Other stdout lines are ignored.

By default the whole process (and therefore the CLI it starts) is pinned to
CPU core 0, because Pillow's codecs are single-threaded. Use --cores none to
disable, or --cores 2 / --cores 0-3 to choose other cores.

Examples:
  .venv-bench/bin/python Benchmarks/Scripts/compare_codecs.py --pillow-only
  .venv-bench/bin/python Benchmarks/Scripts/compare_codecs.py \\
      --storyforge .build/release/image-convert --markdown bench.md
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

try:
    import PIL
    import PIL.features
    from PIL import Image
except ImportError:  # pragma: no cover
    sys.exit("error: Pillow is not importable by %s (run setup-pillow-venv.sh)" % sys.executable)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_INPUTS = [
    REPO / ".bench-inputs" / name
    for name in ("photo-1024.png", "photo-1024.jpg", "photo-4096.png", "photo-4096.jpg")
]
DEFAULT_BIN = REPO / ".build" / "release" / "image-convert"
LARGE_PIXELS = 2048 * 2048  # inputs with more pixels than this use --repeat-large

_RESULT_LINE = re.compile(r"^\s*(decode_ms|encode_ms)\s*=\s*([-+0-9.eE]+)\s*$")


# --------------------------------------------------------------------------
# Environment


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def mapped_codec_libraries() -> list[str]:
    """Shared libraries for jpeg/zlib/png actually mapped into this process (Linux)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path)
                if re.match(r"lib(jpeg|turbojpeg|z|z-ng|png)[-.0-9a-f]*\.so", base):
                    libs.add(path)
    except OSError:
        pass
    return sorted(libs)


def pillow_info() -> dict[str, str]:
    from PIL import _imaging

    f = PIL.features
    return {
        "python": "%s (%s)" % (platform.python_version(), sys.executable),
        "Pillow": "%s (%s)" % (PIL.__version__, os.path.dirname(PIL.__file__)),
        "Pillow libjpeg-turbo": str(f.version("libjpeg_turbo")),
        "Pillow zlib": str(f.version("zlib")),
        "Pillow zlib-ng": str(f.version("zlib_ng")),
        "Pillow _imaging": _imaging.__file__,
        "mapped codec libs": ", ".join(mapped_codec_libraries()) or "n/a",
    }


def pin_cores(spec: str) -> tuple[str, list[str]]:
    """Pins this process to `spec`; returns (description, prefix for child commands)."""
    if spec.lower() in ("none", "off", ""):
        return "not pinned", []
    cores: set[int] = set()
    for part in spec.split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            cores.update(range(int(lo), int(hi) + 1))
        else:
            cores.add(int(part))
    prefix: list[str] = []
    taskset = shutil.which("taskset")
    if taskset:
        prefix = [taskset, "-c", spec]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)
        return "pinned to core(s) %s (sched_setaffinity%s)" % (
            spec, " + taskset for the CLI" if prefix else ""), prefix
    if prefix:
        return "CLI pinned to core(s) %s with taskset; Python side not pinned" % spec, prefix
    print("warning: cannot pin to cores on this OS (no taskset/sched_setaffinity)", file=sys.stderr)
    return "not pinned (unsupported on this OS)", []


# --------------------------------------------------------------------------
# Measurement


@dataclass
class Sample:
    times_ms: list[float] = field(default_factory=list)  # one min per round
    out_bytes: int | None = None

    @property
    def best(self) -> float | None:
        return min(self.times_ms) if self.times_ms else None


@dataclass
class FileResult:
    path: Path
    fmt: str
    width: int
    height: int
    in_bytes: int
    repeats: int
    pillow: dict[str, Sample] = field(default_factory=lambda: {"decode": Sample(), "encode": Sample()})
    storyforge: dict[str, Sample] = field(default_factory=lambda: {"decode": Sample(), "encode": Sample()})

    @property
    def mpix(self) -> float:
        return self.width * self.height / 1e6


def pillow_encode_kwargs(fmt: str) -> dict:
    if fmt == "PNG":
        return {"format": "PNG", "compress_level": 6}
    return {"format": "JPEG", "quality": 90, "subsampling": 2, "optimize": False, "progressive": False}


def time_pillow(data: bytes, fmt: str, repeats: int) -> tuple[float, float, int]:
    """Returns (min decode ms, min encode ms, encoded size) over `repeats`."""
    kwargs = pillow_encode_kwargs(fmt)
    clock = time.perf_counter_ns
    dec = []
    im = None
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = clock()
            im = Image.open(BytesIO(data))
            im.load()
            dec.append(clock() - t0)
        assert im is not None and im.format == fmt, (im and im.format, fmt)
        enc = []
        size = 0
        for _ in range(repeats):
            buf = BytesIO()
            t0 = clock()
            im.save(buf, **kwargs)
            enc.append(clock() - t0)
            size = buf.tell()
    finally:
        if gc_was_enabled:
            gc.enable()
    return min(dec) / 1e6, min(enc) / 1e6, size


def storyforge_args(fmt: str) -> list[str]:
    if fmt == "PNG":
        return ["--compression-level", "6"]
    return ["--quality", "90", "--subsampling", "420"]


def parse_storyforge_output(stdout: str) -> dict[str, float]:
    """Parses `decode_ms=<float>` / `encode_ms=<float>` lines (last one wins)."""
    values: dict[str, float] = {}
    for line in stdout.splitlines():
        m = _RESULT_LINE.match(line)
        if m:
            values[m.group(1)] = float(m.group(2))
    missing = {"decode_ms", "encode_ms"} - values.keys()
    if missing:
        raise ValueError("missing %s in StoryForge output" % ", ".join(sorted(missing)))
    for key, v in values.items():
        if not (v > 0 and v < float("inf")):
            raise ValueError("%s=%r is not a positive finite number" % (key, v))
    return values


def time_storyforge(bin_path: Path, src: Path, fmt: str, repeats: int,
                    prefix: list[str], tmpdir: Path) -> tuple[float, float, int]:
    out = tmpdir / ("out" + src.suffix.lower())
    if out.exists():
        out.unlink()
    cmd = prefix + [str(bin_path), str(src), str(out), "--repeat", str(repeats)] + storyforge_args(fmt)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError("StoryForge CLI failed (exit %d): %s\nstdout:\n%s\nstderr:\n%s" % (
            proc.returncode, " ".join(cmd), proc.stdout[-2000:], proc.stderr[-2000:]))
    try:
        values = parse_storyforge_output(proc.stdout)
    except ValueError as e:
        raise RuntimeError("%s: %s\nstdout:\n%s" % (" ".join(cmd), e, proc.stdout[-2000:])) from None
    size = out.stat().st_size if out.exists() else 0
    return values["decode_ms"], values["encode_ms"], size


# --------------------------------------------------------------------------
# Reporting


def fmt_ms(v: float | None) -> str:
    return "—" if v is None else ("%.2f" % v if v < 100 else "%.1f" % v)


def fmt_rate(mpix: float, ms: float | None) -> str:
    return "—" if ms is None else "%.1f" % (mpix / (ms / 1000.0))


def fmt_size(n: int | None) -> str:
    return "—" if not n else "%.0f KB" % (n / 1000.0)


def build_rows(results: list[FileResult]) -> list[list[str]]:
    rows = []
    for r in results:
        for op in ("decode", "encode"):
            p = r.pillow[op].best
            s = r.storyforge[op].best
            ratio = "—" if (p is None or s is None) else "%.2f" % (p / s)
            if op == "decode":  # both sides decode the same input file
                size_p = size_s = "in " + fmt_size(r.in_bytes)
            else:
                size_p = fmt_size(r.pillow[op].out_bytes)
                size_s = fmt_size(r.storyforge[op].out_bytes)
            rows.append([
                "%s (%dx%d)" % (r.path.name, r.width, r.height), op,
                fmt_ms(p), fmt_ms(s),
                fmt_rate(r.mpix, p), fmt_rate(r.mpix, s), ratio,
                size_p, size_s,
            ])
    return rows


HEADERS = ["file", "op", "Pillow ms", "StoryForge ms", "Pillow Mpix/s",
           "StoryForge Mpix/s", "SF/Pillow throughput", "Pillow bytes", "StoryForge bytes"]


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |",
             "|" + "|".join([":--", ":--"] + ["--:"] * (len(HEADERS) - 2)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", type=Path,
                    help="PNG/JPEG files (default: .bench-inputs/photo-{1024,4096}.{png,jpg})")
    ap.add_argument("--storyforge", metavar="BIN", type=Path, default=DEFAULT_BIN,
                    help="StoryForge image-convert CLI (default: %(default)s)")
    ap.add_argument("--pillow-only", action="store_true", help="measure Pillow only")
    ap.add_argument("--repeat", type=int, help="repeats per batch for every input (overrides the next two)")
    ap.add_argument("--repeat-small", type=int, default=15,
                    help="repeats per batch for inputs up to 2048x2048 pixels (default: %(default)s)")
    ap.add_argument("--repeat-large", type=int, default=5,
                    help="repeats per batch for larger inputs, e.g. 4096x4096 (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternating Pillow/StoryForge batches per input; the reported figure is the "
                         "minimum over all rounds and repeats (default: %(default)s)")
    ap.add_argument("--cores", default="0",
                    help="CPU core list to pin to, e.g. 0 or 0-3; 'none' disables pinning (default: %(default)s)")
    ap.add_argument("--pillow-blocks-max", type=int, metavar="N",
                    help="call Image.core.set_blocks_max(N) so Pillow keeps freed image memory for reuse "
                         "(default: Pillow's default, 0: every decode gets fresh memory and pays its page faults)")
    ap.add_argument("--markdown", metavar="FILE", type=Path, help="also write the results as Markdown")
    args = ap.parse_args(argv)

    inputs = args.inputs or DEFAULT_INPUTS
    for p in inputs:
        if not p.is_file():
            ap.error("%s not found (run Benchmarks/Scripts/make-bench-photos.sh)" % p)
    if args.rounds < 1 or (args.repeat is not None and args.repeat < 1):
        ap.error("--rounds and --repeat must be >= 1")

    bin_path = args.storyforge
    if not args.pillow_only:
        if not bin_path.is_absolute() and not bin_path.exists():
            bin_path = REPO / bin_path
        if not (bin_path.is_file() and os.access(bin_path, os.X_OK)):
            ap.error("StoryForge CLI %s not found or not executable (build it, pass --storyforge BIN, "
                     "or use --pillow-only)" % args.storyforge)
        bin_path = bin_path.resolve()

    pinning, prefix = pin_cores(args.cores)
    if args.pillow_blocks_max is not None:
        Image.core.set_blocks_max(args.pillow_blocks_max)
    env = {"CPU": cpu_model(), "logical CPUs": str(os.cpu_count()),
           "OS": "%s %s" % (platform.system(), platform.release()), "pinning": pinning}
    env.update(pillow_info())
    env["Pillow blocks_max"] = "%d%s" % (Image.core.get_blocks_max(),
                                          "" if args.pillow_blocks_max is not None else " (default)")
    if not args.pillow_only:
        env["StoryForge CLI"] = str(bin_path)
    env["rounds"] = str(args.rounds)

    for k, v in env.items():
        print("%-22s %s" % (k + ":", v))
    print(flush=True)

    results: list[FileResult] = []
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as td:
        tmpdir = Path(td)
        for path in inputs:
            data = path.read_bytes()
            with Image.open(BytesIO(data)) as probe:
                fmt, (w, h) = probe.format, probe.size
            if fmt not in ("PNG", "JPEG"):
                print("skipping %s: format %s" % (path, fmt), file=sys.stderr)
                continue
            repeats = args.repeat or (args.repeat_large if w * h > LARGE_PIXELS else args.repeat_small)
            r = FileResult(path, fmt, w, h, len(data), repeats)
            for rnd in range(args.rounds):
                d, e, n = time_pillow(data, fmt, repeats)
                r.pillow["decode"].times_ms.append(d)
                r.pillow["encode"].times_ms.append(e)
                r.pillow["encode"].out_bytes = n
                msg = "%s round %d/%d: Pillow decode %.2f ms encode %.2f ms" % (
                    path.name, rnd + 1, args.rounds, d, e)
                if not args.pillow_only:
                    d, e, n = time_storyforge(bin_path, path, fmt, repeats, prefix, tmpdir)
                    r.storyforge["decode"].times_ms.append(d)
                    r.storyforge["encode"].times_ms.append(e)
                    r.storyforge["encode"].out_bytes = n
                    msg += " | StoryForge decode %.2f ms encode %.2f ms" % (d, e)
                print(msg, file=sys.stderr, flush=True)
            results.append(r)

    rows = build_rows(results)
    print()
    print(text_table(rows))
    spread = []
    for r in results:
        for side, samples in (("Pillow", r.pillow), ("StoryForge", r.storyforge)):
            for op, s in samples.items():
                if len(s.times_ms) > 1:
                    spread.append(max(s.times_ms) / min(s.times_ms) - 1)
    if spread:
        print("\nround-to-round spread of per-round minima: median %.1f%%, max %.1f%%" % (
            100 * statistics.median(spread), 100 * max(spread)))

    if args.markdown:
        md = ["# Codec comparison: StoryForge vs Pillow", ""]
        md += ["- %s: %s" % (k, v) for k, v in env.items()]
        md += ["- repeats per batch: %s" % ", ".join("%s=%d" % (r.path.name, r.repeats) for r in results),
               "- times are the minimum over rounds x repeats; throughput = pixels / time; "
               "SF/Pillow throughput > 1 means StoryForge is faster", "",
               markdown_table(rows), ""]
        args.markdown.write_text("\n".join(md))
        print("\nwrote %s" % args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs a command and polls /proc every 0.1 s for the resident memory of it and all its descendants.

Prints, on the last lines of its stderr-free summary (to the file given by --summary, JSON):
  peak_total_mb: the largest sum of VmRSS over the whole process tree at one sample (what the machine had to hold),
  peak_by_name_mb: the largest VmRSS each executable name (story-demo, ffmpeg, ffprobe, espeak-ng) reached,
  wall_s: the command's wall time.
Sampling every 0.1 s can miss a peak shorter than that; GNU time's maxrss (also recorded by the caller) is exact for
the largest single process.
"""
import json, os, subprocess, sys, time

def tree(root):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError):
            pass
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out

def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            name, kb = "?", 0
            for line in f:
                if line.startswith("Name:"):
                    name = line.split()[1]
                elif line.startswith("VmRSS:"):
                    kb = int(line.split()[1])
            return name, kb
    except OSError:
        return None, 0

def main():
    summary = sys.argv[sys.argv.index("--summary") + 1]
    command = sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    child = subprocess.Popen(command)
    peak_total, peak_by_name = 0, {}
    while child.poll() is None:
        total = 0
        for pid in tree(child.pid):
            name, kb = rss(pid)
            if name is None:
                continue
            total += kb
            peak_by_name[name] = max(peak_by_name.get(name, 0), kb)
        peak_total = max(peak_total, total)
        time.sleep(0.1)
    wall = time.monotonic() - start
    with open(summary, "w") as f:
        json.dump({"status": child.returncode, "wall_s": wall, "peak_total_mb": peak_total / 1024,
                   "peak_by_name_mb": {k: v / 1024 for k, v in sorted(peak_by_name.items())}}, f)
    sys.exit(child.returncode)

main()

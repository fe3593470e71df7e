#!/usr/bin/env python3
"""Holds N Server-Sent Events clients open on one story's event stream for a while, then reports.

    python3 Benchmarks/server-load-sse.py --url http://127.0.0.1:8080/v1/stories/ID/events --clients 100 --seconds 30

Plain sockets (no third-party package): each client sends a GET with Accept: text/event-stream and reads until
the time is up or the server ends the stream. Prints one JSON line: clients connected (status 200), still open at
the end, ended by the server (the story finished), errors, events received (`id:` lines).
"""
import argparse
import asyncio
import json
import time
import urllib.parse


async def client(url, deadline, stats, token):
    parts = urllib.parse.urlsplit(url)
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    except OSError:
        stats["errors"] += 1
        return
    path = parts.path + (("?" + parts.query) if parts.query else "")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n{auth}\r\n".encode())
    try:
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        if b" 200 " not in status_line:
            stats["errors"] += 1
            return
        stats["connected"] += 1
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                stats["open_at_end"] += 1
                return
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=remaining)
            except asyncio.TimeoutError:
                stats["open_at_end"] += 1
                return
            if not line:
                stats["ended_by_server"] += 1
                return
            if line.startswith(b"id:"):
                stats["events"] += 1
    except (OSError, asyncio.TimeoutError):
        stats["errors"] += 1
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    stats = {"connected": 0, "open_at_end": 0, "ended_by_server": 0, "errors": 0, "events": 0}
    deadline = time.monotonic() + args.seconds
    await asyncio.gather(*(client(args.url, deadline, stats, args.token) for _ in range(args.clients)))
    print(json.dumps(stats), flush=True)


asyncio.run(main())

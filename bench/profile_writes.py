"""Where a write's server time goes: py-spy samples a real Domus server during creates.

Starts ``domus serve`` as bench/core.py does (database from the documents
template, its views and full text on), attaches py-spy (``pip install -e
'.[bench]'``) to it, posts ``--single`` one-document creates and ``--bulk``
documents in bulks of 500, and prints per thread and per function the
milliseconds of server CPU per created document (inclusive: a function's
figure holds its callees').  ``--flame FILE`` keeps the collapsed stacks for a
flame graph (``flamegraph.pl`` or speedscope).

    .venv/bin/python bench/profile_writes.py --single 1000 --bulk 5000
"""
from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import DomusPeer, bench_module  # noqa: E402

RATE = 250  # samples per second


def profile(peer: DomusPeer, work, batch: list, out: Path) -> None:
    """Run ``work(batch)`` while py-spy samples the server into ``out`` (collapsed stacks)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "--pid", str(peer.process.pid), "--format", "raw", "--threads",
               "--rate", str(RATE), "--output", str(out), "--nonblocking"]
    out.parent.mkdir(parents=True, exist_ok=True)
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(1.0)  # let py-spy attach before the first request
    try:
        work(batch)
        time.sleep(2.0)  # the worker and the full-text helper finish what the writes queued
    finally:
        sampler.send_signal(2)
        sampler.wait(30)


def summarise(out: Path, documents: int, top: int) -> None:
    """Milliseconds of sampled CPU per document, per thread and per function (inclusive)."""
    per_thread: collections.Counter = collections.Counter()
    per_function: collections.Counter = collections.Counter()
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        thread, frames = frames[0], frames[1:]
        if not frames or "idle" in thread:
            continue
        samples = int(count)
        per_thread[thread.split(" ")[-1].strip('"()') or thread] += samples
        for frame in set(f.split(" (")[0] + " " + f.split(" (")[-1].split(":")[0] for f in frames):
            per_function[frame] += samples

    def ms(samples: int) -> str:
        return f"{samples * 1000 / RATE / documents:7.3f}"

    print(f"\nms of server CPU per document ({documents} documents)")
    for thread, samples in per_thread.most_common():
        print(f"  {ms(samples)}  thread {thread}")
    print("\ninclusive, per function:")
    for frame, samples in per_function.most_common(top):
        print(f"  {ms(samples)}  {frame}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=1000, help="one-document creates")
    parser.add_argument("--bulk", type=int, default=0, help="documents in bulks of 500 (a run of its own)")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--flame", type=Path, help="keep the collapsed stacks here")
    args = parser.parse_args()
    core = bench_module("core")
    with tempfile.TemporaryDirectory() as tmp:
        peer = DomusPeer(Path(tmp))
        peer.start()
        try:
            peer.create_db()
            session = peer.session()
            for name, count, work in (
                ("single", args.single, lambda batch: core.single_creates(peer, batch)),
                ("bulk", args.bulk, lambda batch: core.bulk_creates(peer, batch)),
            ):
                if not count:
                    continue
                batch = core.docs(7, count, start=0 if name == "single" else args.single)
                peer.create_one(session, core.docs(9, 1)[0])  # warm up the routes and caches
                out = args.flame.with_suffix(f".{name}.txt") if args.flame else Path(tmp) / f"{name}.txt"
                profile(peer, work, batch, out)
                print(f"\n== {name}: {count} documents")
                summarise(out, count, args.top)
        finally:
            peer.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

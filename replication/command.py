"""``domus replicate SOURCE TARGET``: one replication from the command line, with a progress bar."""
from __future__ import annotations

import sys
import threading

from tqdm import tqdm

from replication.peers import Peer
from replication.replicator import BATCH_SIZE, Replicator


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "replicate", help="replicate a database to another (URLs of /replication/{db} endpoints)")
    parser.add_argument("source", help="e.g. http://user:password@site1:6543/replication/documents")
    parser.add_argument("target", help="the database receiving the changes")
    parser.add_argument("--both", action="store_true", help="then replicate TARGET to SOURCE too")
    parser.add_argument("--continuous", action="store_true", help="keep following the changes")
    parser.add_argument("--filter", metavar="FORMULA",
                        help='selective replication formula, e.g. Form = "Incoming"')
    parser.add_argument("--create-replica", action="store_true",
                        help="create TARGET as a new replica of SOURCE if it does not exist")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.set_defaults(func=run_command)


def _replicator(source: Peer, target: Peer, args, progress) -> Replicator:
    return Replicator(source, target, selection=args.filter, batch_size=args.batch_size,
                      create_target=args.create_replica, continuous=args.continuous,
                      progress=progress)


def _one_way(source: Peer, target: Peer, args) -> int:
    with tqdm(unit=" docs", desc=f"{source.name} → {target.name}", file=sys.stderr,
              disable=None) as bar:
        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done - bar.n)

        replicator = _replicator(source, target, args, progress)
        try:
            report = replicator.run()
        except KeyboardInterrupt:
            replicator.stop()
            return 130
    print(f"{source} → {target}: {report.docs_read} read, {report.docs_written} written, "
          f"{report.docs_filtered} left out by the filter, {report.failures} refused")
    for error in report.errors:
        print(f"  refused: {error}")
    return 1 if report.failures else 0


def run_command(args, env) -> int:
    source, target = Peer(args.source), Peer(args.target)
    if args.both and args.continuous:
        # Two endless one-way runs side by side: the way back follows in a thread.
        back = _replicator(target, source, args, lambda done, total: None)
        threading.Thread(target=back.run, name="replicate-back", daemon=True).start()
        try:
            return _one_way(source, target, args)
        finally:
            back.stop()
    status = _one_way(source, target, args)
    if args.both and status == 0:
        status = _one_way(target, source, args)
    return status

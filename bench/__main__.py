"""``python -m bench [p1|p2 ...] [--write]``: run the benchmarks one after the other, print tables, update the doc."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bench import p1_scalar_copy, p2_realistic_run
from bench.common import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, TIMESCALE_URL_ENV, Options, Section, render_section
from bench.common import resolve_targets, write_section

BENCHMARKS: dict[str, Callable[[Options], Section]] = {
    "p1": p1_scalar_copy.run,
    "p2": p2_realistic_run.run,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=f"Performance benchmarks (DESIGN §8). Also measures TimescaleDB when {TIMESCALE_URL_ENV} is set.",
    )
    parser.add_argument("benchmarks", nargs="*", choices=[[], *BENCHMARKS], help="which to run (default: all)")
    parser.add_argument(
        "--database-url",
        help=f"plain PostgreSQL to measure on (default: ${DATABASE_URL_ENV} or {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--reps", type=int, default=5, help="repetitions per measurement; the median is reported")
    parser.add_argument("--no-timescale", action="store_true", help=f"ignore {TIMESCALE_URL_ENV}")
    parser.add_argument("--write", action="store_true", help="replace the benchmark's section of docs/performance.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.reps < 1:
        print("--reps must be at least 1", file=sys.stderr)
        return 2
    targets = resolve_targets(args.database_url, timescale=not args.no_timescale)
    for name in args.benchmarks or list(BENCHMARKS):
        shown = [a for a in argv if a not in BENCHMARKS and not a.startswith("--database-url")]
        options = Options(targets, args.reps, args.write, [name, *shown])
        section = BENCHMARKS[name](options)
        if args.write:
            write_section(render_section(section, options), section.key)
            print(f"wrote section {section.key} of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

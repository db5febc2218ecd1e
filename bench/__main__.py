"""``python -m bench [p1] [p2] [--write]``: run the benchmarks one after the other, print tables, update the doc."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable

from bench import (
    api_arrays,
    cli_startup,
    notify,
    p1_scalar_copy,
    p2_realistic_run,
    p3_trend,
    p4_dashboard,
    p5_live,
    p6_image,
    p7_soak,
    p8_export,
    p9_compare,
    p9_sub_plots,
    p10_quality,
    p11_quality_page,
    p12_zoom,
    p13_browser,
    p13_scale,
    p14_live_clients,
)
from bench.common import (
    DATABASE_URL_ENV,
    DEFAULT_DATABASE_URL,
    DEFAULT_REPS,
    TIMESCALE_URL_ENV,
    Options,
    Section,
    render_section,
    resolve_targets,
    write_section,
)

BENCHMARKS: dict[str, Callable[[Options], Section]] = {
    "p1": p1_scalar_copy.run,
    "p2": p2_realistic_run.run,
    "p3": p3_trend.run,
    "p4": p4_dashboard.run,
    "p5": p5_live.run,
    "p6": p6_image.run,
    "p7": p7_soak.run,
    "p8": p8_export.run,
    "p9": p9_compare.run,
    "p9b": p9_sub_plots.run,
    "p10": p10_quality.run,
    "p11": p11_quality_page.run,
    "p12": p12_zoom.run,
    "api": api_arrays.run,
    "p13": p13_scale.run,
    "p13b": p13_browser.run,
    "cli": cli_startup.run,
    "p14": p14_live_clients.run,
    "notify": notify.run,
}
#: long, and seeded into the database it is given: only when asked for by name
NOT_BY_DEFAULT = {"p9b", "p13", "p13b", "p14"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=f"Performance benchmarks (DESIGN §8); TimescaleDB is measured too when {TIMESCALE_URL_ENV} is set.",
    )
    parser.add_argument("benchmarks", nargs="*", metavar="BENCHMARK", help=f"{', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument(
        "--database-url", help=f"plain PostgreSQL (default: ${DATABASE_URL_ENV} or {DEFAULT_DATABASE_URL})"
    )
    parser.add_argument("--reps", type=int, default=DEFAULT_REPS, help="repetitions per measurement; medians reported")
    parser.add_argument("--no-timescale", action="store_true", help=f"ignore {TIMESCALE_URL_ENV}")
    parser.add_argument("--write", action="store_true", help="replace the benchmark's section of docs/performance.md")
    parser.add_argument(
        "--p13-sizes",
        default=",".join(str(s) for s in p13_scale.SIZES),
        help="P13: stored runs to measure at, comma separated (each size is seeded once into the database, reused)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.benchmarks if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    try:
        sizes = [int(float(size)) for size in args.p13_sizes.split(",")]
    except ValueError:
        parser.error(f"--p13-sizes takes run counts separated by commas, not {args.p13_sizes!r}")
    if not sizes or min(sizes) < 1:
        parser.error("--p13-sizes must be positive run counts")
    args.sizes = sizes
    return args


def command_args(name: str, args: argparse.Namespace) -> list[str]:
    """The arguments that reproduce one benchmark's figures."""
    shown = [name]
    if args.database_url:
        shown += ["--database-url", args.database_url]
    if args.reps != DEFAULT_REPS:
        shown += ["--reps", str(args.reps)]
    if args.no_timescale:
        shown.append("--no-timescale")
    if name == "p13":
        shown += ["--p13-sizes", args.p13_sizes]
    return [*shown, "--write"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # a plain kill unwinds like Ctrl-C, so the throwaway schemas are dropped
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    targets = resolve_targets(args.database_url, timescale=not args.no_timescale)
    for name in args.benchmarks or [name for name in BENCHMARKS if name not in NOT_BY_DEFAULT]:
        options = Options(targets, args.reps, args.write, command_args(name, args))
        if name == "p13":
            section = p13_scale.run(options, args.sizes)
        else:
            section = BENCHMARKS[name](options)
        text = render_section(section, options)
        print(text)
        if args.write:
            write_section(text, section.key)
            print(f"wrote section {section.key} of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

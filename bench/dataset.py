"""`python -m bench.dataset`: the national data set alone, generated, timed and dropped."""

from bench.common import bench_database, parse_args


def main(argv: list[str] | None = None) -> None:
    args = parse_args("Generate the national data set (then drop it) and time it.", argv)
    with bench_database(args.db, args.size):
        pass


if __name__ == "__main__":
    main()

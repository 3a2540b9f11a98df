"""The `jingjin` console script: settings read while importing the commands (the time
zone, for one) are reported like every other setting, in one line and exit 2."""

import sys

from config.settings import SettingError


def main() -> None:
    try:
        from cli.main import app
    except SettingError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    app()

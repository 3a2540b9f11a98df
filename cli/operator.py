"""What the operator sees when the installation itself is wrong: one zh-TW line, exit 2.

Every `jingjin` command runs inside `JingjinGroup`, so a bad JINGJIN_DATABASE_URL, an
unreachable database or a short JINGJIN_SECRET_KEY never shows a traceback, whichever
command met it first.
"""

from types import UnionType
from typing import Any, Union, get_args, get_origin

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from typer.core import TyperGroup

from config.settings import get_settings
from rules.errors import JingjinError

EXIT_SETTING = 2
# Every integer the CLI takes ends up in a PostgreSQL `integer` column or is compared
# with one; a larger one would fail deep in the driver.
INT_MAX = 2**31 - 1


def _is_int(annotation: Any) -> bool:
    return annotation is int or (
        get_origin(annotation) in (Union, UnionType) and int in get_args(annotation)
    )


def _bounded(param: Any) -> None:
    """Refuse an integer outside PostgreSQL's `integer` in zh-TW, naming the option."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not _is_int(descriptor.annotation):
        return
    given = param.callback

    def check(ctx: typer.Context, param: Any, value: Any) -> Any:
        for number in value if isinstance(value, list | tuple) else [value]:
            if isinstance(number, int) and not -INT_MAX - 1 <= number <= INT_MAX:
                raise typer.BadParameter(
                    f"「{number}」超出可接受的範圍（最大 {INT_MAX:,}），請確認輸入的數字",
                    ctx=ctx, param=param,
                )  # fmt: skip
        return given(ctx, param, value) if given is not None else value

    param.callback = check


def _bound_all(command: Any) -> None:
    for param in command.params:
        _bounded(param)
    for sub in getattr(command, "commands", {}).values():
        _bound_all(sub)


def _database_where() -> str:
    try:
        url = make_url(get_settings().effective_database_url)
        return url.render_as_string(hide_password=True)
    except Exception:
        return "（無法解析）"


def operator_message(error: BaseException) -> str | None:
    """The one line for an installation problem; None for anything else."""
    if isinstance(error, OperationalError | InterfaceError):
        reason = str(getattr(error, "orig", error) or error).strip().splitlines()
        detail = reason[0] if reason else type(error).__name__
        return (
            f"無法使用資料庫 {_database_where()}：{detail}。"
            "請檢查 JINGJIN_DATABASE_URL（主機、連接埠、資料庫名稱、帳號密碼）與資料庫伺服器是否運作"
        )
    return None


class JingjinGroup(TyperGroup):
    """The root command: integer bounds on every option, and operator errors as one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bound_all(self)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JingjinError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(getattr(error, "exit_code", EXIT_SETTING)) from None
        except (OperationalError, InterfaceError) as error:
            typer.echo(operator_message(error), err=True)
            raise typer.Exit(EXIT_SETTING) from None

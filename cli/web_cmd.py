"""`jingjin web`: the pages for office staff and the ministry, served by uvicorn."""

import typer

from cli.common import reports_errors
from model.db import get_engine
from model.migrate import require_migrated


@reports_errors
def web_command(
    host: str = typer.Option("127.0.0.1", help="監聽位址"),
    port: int = typer.Option(8000, help="連接埠"),
    workers: int = typer.Option(
        1, min=1, help="同時服務的行程數（多人同時使用時可設為 CPU 核心數）"
    ),
) -> None:
    """啟動網頁服務（縣市承辦、主管與教育部使用）。"""
    import uvicorn

    from web.app import create_app
    from web.config import settings_from_env

    engine = get_engine()
    require_migrated(engine)
    # Made here, once: each worker then reads the same session key from the data dir.
    settings = settings_from_env()
    for note in settings.notes:
        typer.echo(note, err=True)
    typer.echo(f"網頁服務：http://{host}:{port}/（{workers} 個行程）")
    if workers == 1:
        uvicorn.run(create_app(engine, settings), host=host, port=port, log_level="info")
        return
    engine.dispose()  # each worker process opens its own connections
    uvicorn.run(
        "web.app:create_app", factory=True, workers=workers, host=host, port=port,
        log_level="info",
    )  # fmt: skip

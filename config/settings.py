"""One settings class; values come from the environment (prefix JINGJIN_) or a .env file."""

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, computed_field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import JingjinError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingError(JingjinError, ValueError):
    """A JINGJIN_* setting an operator must fix; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINGJIN_", env_file=".env", extra="ignore")

    data_dir: Path = PROJECT_ROOT / "var"
    # Empty means the embedded SQLite file under data_dir.
    database_url: str = ""
    # PostgreSQL: the role that owns the tables, for `jingjin db upgrade` alone; the
    # application's role (database_url) then owns nothing and cannot lift the log's guard.
    migration_database_url: str = ""
    # All schedules and "today" run in this zone (config/clock.py); SPEC.md: Asia/Taipei.
    timezone: str = "Asia/Taipei"
    # A pinned "today" (ISO 2024-11-25 or ROC 113/11/25): the demo tells a day inside the
    # plan year. Unset in production, where the real clock runs (config/clock.py).
    today: date | None = None
    base_url: str = "http://127.0.0.1:8000"
    # The yearly rules files (<year>.toml); empty means the repository's rules/.
    rules_dir: Path | None = None

    # Imported lists (imports/tabular.py): generous for the 2,652 + 735 real schools, and a
    # bound on what one upload may cost; a zip-compressed XLSX is judged by what it expands to.
    import_max_bytes: int = 10_000_000
    import_max_rows: int = 10_000
    import_max_unzipped_bytes: int = 100_000_000

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_tls: bool = False
    mail_from: str = "jingjin@localhost"
    mail_from_name: str = "數位學習精進方案管考系統"

    # Web pages. No default key: without one the demo makes a random key under data_dir.
    secret_key: SecretStr = SecretStr("")
    https_only: bool = False
    oidc_metadata_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_label: str = "教育體系單一簽入"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"JINGJIN_TIMEZONE「{value}」不是有效的時區名稱（例如 Asia/Taipei）"
            ) from None
        return value

    @field_validator("today", mode="before")
    @classmethod
    def _iso_or_roc(cls, value: object) -> date | None:
        if value is None or isinstance(value, date):
            return value
        text = str(value).strip()
        if not text:
            return None
        return parse_day(text)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'jingjin.db'}"


_ROC = re.compile(r"(\d{2,3})[/.-](\d{1,2})[/.-](\d{1,2})")


def parse_day(text: str, name: str = "JINGJIN_TODAY") -> date:
    """2024-11-25 or 113/11/25 (民國年); a zh-TW error naming where it came from otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = _ROC.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        return date(int(found[1]) + 1911, int(found[2]), int(found[3]))
    except ValueError:
        raise ValueError(f"{name}「{text}」不是日期（例如 2024-11-25 或 113/11/25）") from None


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingError(describe_invalid(error)) from None


_IN_ZH = {
    "int_parsing": "不是整數",
    "bool_parsing": "須為 true 或 false",
    "url_parsing": "不是網址",
}


def describe_invalid(error: ValidationError) -> str:
    """One line naming each JINGJIN_* variable to fix, in the validators' own words."""
    parts = []
    for problem in error.errors():
        name = "JINGJIN_" + "_".join(str(part) for part in problem["loc"]).upper()
        message = _IN_ZH.get(problem["type"]) or str(problem["msg"]).removeprefix("Value error, ")
        if "input" in problem and problem["type"] in _IN_ZH:
            message = f"「{problem['input']}」{message}"
        parts.append(message if message.startswith(name) else f"{name}：{message}")
    return "設定有誤：" + "；".join(parts)

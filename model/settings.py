"""One settings class; values come from the environment (prefix JINGJIN_) or a .env file."""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, computed_field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINGJIN_", env_file=".env", extra="ignore")

    data_dir: Path = PROJECT_ROOT / "var"
    # Empty means the embedded SQLite file under data_dir.
    database_url: str = ""
    # All schedules and "today" run in this zone (model/clock.py); SPEC.md: Asia/Taipei.
    timezone: str = "Asia/Taipei"
    base_url: str = "http://127.0.0.1:8000"
    # The yearly rules files (<year>.toml); empty means the repository's rules/.
    rules_dir: Path | None = None

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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'jingjin.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

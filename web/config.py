"""The web pages' settings: the session-signing key and the optional single sign-on."""

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import SettingError, Settings, get_settings
from model.files import MAX_FILE_BYTES

log = logging.getLogger("jingjin.web")
SECRET_FILE = "web-secret-key"
MIN_SECRET_CHARS = 32


@dataclass(frozen=True)
class OidcSettings:
    """The education system's OpenID Connect provider (教育雲端帳號 or a county's)."""

    metadata_url: str
    client_id: str
    client_secret: str
    label: str = "教育體系單一簽入"


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    # Secure cookies need HTTPS; a school laptop on the demo runs plain http://127.0.0.1.
    https_only: bool = False
    session_max_age: int = 8 * 3600
    max_failures: int = 5
    lockout_minutes: int = 15
    # Request bodies, refused with 413 before they are read (web.guards.BodyLimit): forms
    # are a few kB; an evidence upload is one file of at most MAX_FILE_BYTES plus its form.
    max_form_bytes: int = 1024 * 1024
    max_upload_bytes: int = MAX_FILE_BYTES + 1024 * 1024
    oidc: OidcSettings | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_CHARS:
            raise SettingError(
                f"JINGJIN_SECRET_KEY 至少需要 {MIN_SECRET_CHARS} 個字元"
                f"（目前 {len(self.secret_key)} 個）；可用 python -c "
                "'import secrets; print(secrets.token_urlsafe(48))' 產生"
            )


def _oidc(settings: Settings) -> OidcSettings | None:
    if not settings.oidc_metadata_url.strip():
        return None
    return OidcSettings(
        metadata_url=settings.oidc_metadata_url.strip(),
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        label=settings.oidc_label,
    )


def secret_from_data_dir(data_dir: Path) -> tuple[str, str | None]:
    """The key kept in the data directory, made on first use; a note says when it was made."""
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), None
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key, f"JINGJIN_SECRET_KEY 未設定：已產生隨機金鑰並存於 {path}（僅供示範）。"


def settings_from_env(settings: Settings | None = None) -> WebSettings:
    """JINGJIN_SECRET_KEY if set; otherwise (the demo) a random key kept in the data dir."""
    settings = settings or get_settings()
    key = settings.secret_key.get_secret_value().strip()
    notes: list[str] = []
    if not key:
        key, note = secret_from_data_dir(settings.data_dir)
        if note:
            log.warning(note)
            notes.append(note)
    return WebSettings(
        secret_key=key, https_only=settings.https_only, oidc=_oidc(settings), notes=notes
    )

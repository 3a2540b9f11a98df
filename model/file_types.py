"""Which evidence files are taken, judged by their content: the first bytes (and, for the
zip-based office formats, the entry that names the format) must be those of the type that
the file name and the browser's declared type say. A renamed program or web page is not
evidence, and a file that is not what it claims to be cannot be opened by the reviewer."""

import io
import zipfile
from dataclasses import dataclass

OOXML = b"[Content_Types].xml"


@dataclass(frozen=True)
class EvidenceType:
    label: str
    mime: frozenset[str]


PDF = EvidenceType("PDF", frozenset({"application/pdf"}))
PNG = EvidenceType("PNG 圖片", frozenset({"image/png"}))
JPEG = EvidenceType("JPEG 圖片", frozenset({"image/jpeg", "image/pjpeg"}))
OLD_OFFICE = EvidenceType(
    "舊版 Office 文件",
    frozenset({"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"}),
)


def _odf(kind: str) -> EvidenceType:
    return EvidenceType("ODF 文件", frozenset({f"application/vnd.oasis.opendocument.{kind}"}))


def _ooxml(mime: str) -> EvidenceType:
    return EvidenceType(
        "Office 文件", frozenset({f"application/vnd.openxmlformats-officedocument.{mime}"})
    )


BY_EXTENSION = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "odt": _odf("text"),
    "ods": _odf("spreadsheet"),
    "odp": _odf("presentation"),
    "docx": _ooxml("wordprocessingml.document"),
    "xlsx": _ooxml("spreadsheetml.sheet"),
    "pptx": _ooxml("presentationml.presentation"),
    "doc": OLD_OFFICE,
    "xls": OLD_OFFICE,
    "ppt": OLD_OFFICE,
}
# Browsers send these when they do not know the type; the content decides then.
UNKNOWN_MIME = {"", "application/octet-stream", "binary/octet-stream"}


def _content_matches(extension: str, kind: EvidenceType, content: bytes) -> bool:
    if kind is PDF:
        return content.startswith(b"%PDF-")
    if kind is PNG:
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    if kind is JPEG:
        return content.startswith(b"\xff\xd8\xff")
    if kind is OLD_OFFICE:
        return content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if extension.startswith("od"):
                # ODF: the `mimetype` entry names the format.
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return "mimetype" in names and declared in kind.mime
            return OOXML.decode() in names
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def evidence_problem(filename: str, declared_mime: str | None, content: bytes) -> str | None:
    """None if the file is an allowed evidence type and its content is that type; else the
    zh-TW sentence saying why it is refused."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    allowed = "、".join(sorted({f".{e}" for e in BY_EXTENSION}))
    kind = BY_EXTENSION.get(extension)
    if kind is None:
        return f"檔案「{filename}」的類型不在可上傳的證明文件類型內（{allowed}）。"
    mime = (declared_mime or "").split(";")[0].strip().lower()
    if mime not in UNKNOWN_MIME and mime not in kind.mime:
        return f"檔案「{filename}」的副檔名是 .{extension}，但瀏覽器標示的類型是 {mime}，兩者不符。"
    if not _content_matches(extension, kind, content):
        return (
            f"檔案「{filename}」的內容不是 {kind.label}（與副檔名 .{extension} 不符），"
            "請確認檔案後重新上傳。"
        )
    return None

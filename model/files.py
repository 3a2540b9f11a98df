"""Evidence files (meeting minutes, contracts, settlement vouchers) kept on an item.

The bytes live in the database with their SHA-256, so a backup of the database is a
backup of the evidence and a file cannot change without its hash showing it.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from config.clock import now

MAX_FILE_BYTES = 10 * 1024 * 1024

FILE_KINDS = {
    "minutes": "會議紀錄",
    "contract": "契約書",
    "requirement": "需求文件",
    "voucher": "結報憑證",
    "other": "其他",
}


class EvidenceFile(SQLModel, table=True):
    __tablename__ = "evidence_file"
    __table_args__ = (
        Index("ix_evidence_file_item", "item_type", "item_id"),
        CheckConstraint(f"size > 0 AND size <= {MAX_FILE_BYTES}", name="ck_evidence_file_size"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_type: str = Field(max_length=16)
    item_id: int
    county_id: int = Field(foreign_key="county.id", index=True)
    kind: str = Field(max_length=16)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=128)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The transition the file was uploaded with, if any.
    transition_id: int | None = Field(default=None, foreign_key="transition_log.id")
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=now)

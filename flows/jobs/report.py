"""What a job did, for the CLI to print and the flows to log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from notifications.outbox import Outgoing


@dataclass
class JobReport:
    job: str
    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    queued: list[Outgoing] = field(default_factory=list)
    skipped: str = ""

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def summary(self) -> str:
        """One zh-TW line: what the job did on its day."""
        if self.skipped:
            return f"{self.as_of}：{self.skipped}"
        counts = "、".join(f"{key} {n} 件" for key, n in self.counts.items()) or "無"
        return f"{self.as_of}：{counts}；排入通知 {len(self.queued)} 封"

    def merge(self, other: JobReport) -> None:
        for key, n in other.counts.items():
            self.add(key, n)
        self.queued.extend(other.queued)
        self.skipped = self.skipped or other.skipped

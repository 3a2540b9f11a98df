"""Why a transition did not happen. Nothing changes when one of these is raised."""

from dataclasses import dataclass

from rules.errors import JingjinError


@dataclass(frozen=True)
class Refusal:
    """One failed rule: a stable id for machines, a sentence for an office clerk."""

    rule_id: str
    message: str
    # The evidence field it concerns ("held_on", "attendees.0.role"), when one does: the
    # web page shows the sentence beside that input.
    field: str = ""

    def __str__(self) -> str:
        return f"[{self.rule_id}] {self.message}"


class TransitionRefused(JingjinError):
    """Every rule that refused the transition, not only the first."""

    exit_code = 3

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = list(refusals)
        super().__init__("無法執行此動作：\n" + "\n".join(f"  {r}" for r in self.refusals))

    @property
    def rule_ids(self) -> list[str]:
        return [r.rule_id for r in self.refusals]


class TransitionConflict(JingjinError):
    """Somebody else moved the item first; the caller sees where it is now."""

    exit_code = 4

    def __init__(self, item: str, current_state: str, current_label: str) -> None:
        self.item, self.current_state = item, current_state
        super().__init__(
            f"{item} 已被他人先行處理，目前狀態為「{current_label}」({current_state})；"
            "請重新整理後再操作。"
        )


class UnknownItem(JingjinError):
    exit_code = 2

    def __init__(self, item: str) -> None:
        super().__init__(f"找不到 {item}")


class UnknownEvent(JingjinError):
    exit_code = 2

    def __init__(self, event: str, allowed: list[str]) -> None:
        self.event, self.allowed = event, allowed
        choices = "、".join(allowed) if allowed else "（無：此項目已結案）"
        super().__init__(f"沒有「{event}」這個動作。此項目目前可用的動作：{choices}")

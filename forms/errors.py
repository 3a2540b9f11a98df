"""The one error a refused form raises: every problem, one zh-TW message per field."""

from rules.errors import JingjinError


class FormInvalid(JingjinError):
    """`errors` is a list of (field, message); field is a dotted key such as
    "teacher_training.recurrent", the message names the field in words a clerk reads."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = _one_per_field(errors)
        lines = "\n".join(f"- {message}" for _, message in self.errors)
        super().__init__(f"資料有 {len(self.errors)} 處須修正：\n{lines}")

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.errors)


def _one_per_field(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # The first problem found is the one to fix first; later ones often follow from it.
    seen: dict[str, str] = {}
    for field, message in errors:
        seen.setdefault(field, message)
    return list(seen.items())

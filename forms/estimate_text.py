"""The budget estimate and the targets as a zh-TW text table for the terminal."""

from forms.display import amount, ljust, rjust, roc_date
from forms.labels import ITEM_LABELS, TARGET_LABELS
from rules import Estimate, YearRules

LABEL_COLUMNS = 44
VALUE_COLUMNS = 14


def _row(label: str, value: str) -> str:
    return ljust(label, LABEL_COLUMNS) + rjust(value, VALUE_COLUMNS)


def render(title: str, est: Estimate, targets: dict[str, int], rules: YearRules) -> str:
    rule = "─" * (LABEL_COLUMNS + VALUE_COLUMNS)
    period = f"{roc_date(rules.period.start)}–{roc_date(rules.period.end)}"
    lines = [
        f"{title}　{est.year} 年度教育部預估補助數（新臺幣元）",
        f"計畫期程 {period}；所轄學校 {est.schools} 校",
        rule,
    ]
    lines += [_row(ITEM_LABELS[key], amount(value)) for key, value in est.items.items()]
    lines += [
        rule,
        _row("業務費小計（3 + 4a + 4b + 5 + 6）", amount(est.business_total)),
        _row("合計", amount(est.total)),
        "",
        "預期績效指標（最低數）",
        rule,
    ]
    lines += [_row(TARGET_LABELS[key], f"{value:,}") for key, value in targets.items()]
    return "\n".join(lines)

"""The budget estimate and the targets as a zh-TW text table for the terminal."""

from rules import Estimate, YearRules
from vocab.display import amount, ljust, rjust, roc_date
from vocab.labels import ITEM_LABELS, TARGET_LABELS

# 陸、二、(四)2 caps 7 on 業務費; in a plan that is the 經常門 業務費 (SPEC.md item 7),
# so the estimate's figure, computed on items 3–6 whole, is a ceiling that holds only when
# items 5 and 6 are booked as 經常門.
ADMINISTRATION_NOTE = (
    "註：7 行政管理費係依業務費（3 + 4a + 4b + 5 + 6）估算之上限；計畫中以經常門業務費計算，"
    "須 5（MDM 授權）與 6（數位內容及教學軟體）均編列於經常門，此上限始成立；"
    "其中任一項編為資本門，行政管理費上限隨之降低。"
)
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
        ADMINISTRATION_NOTE,
        "",
        "預期績效指標（最低數）",
        rule,
    ]
    lines += [_row(TARGET_LABELS[key], f"{value:,}") for key, value in targets.items()]
    return "\n".join(lines)

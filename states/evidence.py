"""The evidence a transition records, validated with a zh-TW message per field.

These models are shared by the command line, the web pages and the guards.
"""

from datetime import date
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from vocab.dates import parse_day


def _typed_day(value: Any) -> Any:
    # A day as people type it (113/11/30, 1131130 …) as well as ISO; a DayError is a
    # ValueError, so pydantic reports its zh-TW sentence as the field's problem.
    return parse_day(value) if isinstance(value, str) else value


Money = Annotated[StrictInt, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]
Day = Annotated[date, BeforeValidator(_typed_day)]


def ask(title: str, help: str, **kw: Any) -> Any:
    """A field's zh-TW label and one-line help: the web form, the CLI and every refusal
    that names the field read them from here."""
    return Field(title=title, description=help, **kw)


ATTENDEE_ROLES = {
    "teacher": "教師",
    "school_admin": "學校行政人員",
    "office_member": "推動辦公室成員",
    "parent": "家長代表",
    "expert": "專家學者",
    "other": "其他",
}

PROCUREMENT_METHODS = {
    "small_purchase": "小額採購",
    "three_quotes": "公開取得三家以上廠商書面報價",
    "open": "公開招標",
    "selective": "選擇性招標",
    "restricted": "限制性招標",
}

# What people see for each choice a field offers.
CHOICE_LABELS = {
    **ATTENDEE_ROLES,
    **PROCUREMENT_METHODS,
    "requirement": "需求文件",
    "contract": "契約書",
    "recurrent": "經常門",
    "capital": "資本門",
}


def is_whole(value: object) -> TypeGuard[int]:
    """A count or an NT$ amount: an int of at least 0. bool is an int subclass, and True
    teachers or True dollars would be nonsense."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Attendee(Evidence):
    name: Text = ask("姓名", "與會人員的姓名。")
    role: Literal["teacher", "school_admin", "office_member", "parent", "expert", "other"] = ask(
        "身分", "與會人員的身分，用來確認會議具代表性。"
    )


class MeetingRecord(Evidence):
    """The public meeting that decided what to buy (伍、三、(六)1)."""

    held_on: Day = ask("會議日期", "公開會議召開的日期，例如 113/05/20。")
    minutes: Text = ask("會議紀錄摘要", "會議決議採購的內容與理由。")
    attendees: list[Attendee] = ask(
        "與會人員", "每列一位：姓名與身分；須含規定身分的代表。", min_length=1
    )
    # Was the meeting open to the public (公開會議)? Said by the clerk; the guard
    # purchase.meeting_public refuses a closed one when the year's rules ask for public.
    public: StrictBool = ask("本次會議為公開會議", "會議是否公開舉行。", default=True)


class ProductChoice(Evidence):
    product_serial: Annotated[str, Field(pattern=r"^\d{5}-\d{3}$")] = ask(
        "產品序號（選購名單）", "教育部選購名單上的產品序號，格式如 12345-678。"
    )
    amount: Money = ask("金額（元）", "購置此產品的金額，新臺幣整數元。")
    # Hardware or teaching aids bundled with the product (陸、二、(二)5.(2)).
    hardware_amount: Money = ask(
        "其中硬體或教具金額（元）",
        "產品所含硬體或教具的金額；本經費不得購置，沒有請填 0。",
        default=0,
    )


class ClauseDocument(Evidence):
    document: Literal["requirement", "contract"] = ask(
        "文件種類", "載有資料介接條款的文件：需求文件或契約書。"
    )
    text: str = ask("文件內容（含條款文字）", "貼上文件中資料介接條款的全文。", default="")


class ProcurementRecord(Evidence):
    """The 政府採購法 procurement: its band comes from the 採購金額, not from the award."""

    method: Literal["small_purchase", "three_quotes", "open", "selective", "restricted"] = ask(
        "採購方式", "依採購金額所屬級距適用的採購方式。"
    )
    awarded_on: Day = ask("決標日期", "決標或簽約的日期，例如 113/05/28。")
    procurement_amount: Money = ask(
        "採購金額（元）",
        "招標前核定的預算或預估金額（分批辦理者合計全部批數，含選購及後續擴充；"
        "政府採購法施行細則第 6 條），用以決定採購方式，不是決標金額。",
    )
    amount: Money = ask("契約金額（元）", "決標的契約金額，新臺幣整數元。")
    vendor: Text = ask("得標廠商", "得標廠商的名稱。")
    justification: str = ask(
        "理由",
        "採選擇性招標（政府採購法第 20 條）或限制性招標（第 22 條第 1 項）時，敘明理由與款次。",
        default="",
    )


class DisbursementRequest(Evidence):
    requested_on: Day = ask("請撥日期", "縣市提出請撥的日期（公文日期），例如 113/11/30。")
    amount: Money = ask("請撥金額（元）", "本次請撥的金額，不超過契約金額。")


class UsageRecord(Evidence):
    """After use: the basis for next year's buying (伍、三、(七)2)."""

    cumulative_users: Money = ask("累計使用人數", "至今使用本產品的師生人數。")
    cumulative_hours: Money = ask("累計使用時數", "至今累計的使用時數。")
    notes: str = ask("質性說明", "使用情形與效益的文字說明。", default="")

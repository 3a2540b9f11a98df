"""The evidence a transition records, validated with a zh-TW message per field.

These models are shared by the command line, the web pages and the guards.
"""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

Money = Annotated[StrictInt, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]

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


def is_whole(value: object) -> bool:
    """A count or an NT$ amount: an int of at least 0. bool is an int subclass, and True
    teachers or True dollars would be nonsense."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Attendee(Evidence):
    name: Text
    role: Literal["teacher", "school_admin", "office_member", "parent", "expert", "other"]


class MeetingRecord(Evidence):
    """The public meeting that decided what to buy (伍、三、(六)1)."""

    held_on: date
    minutes: Text
    attendees: list[Attendee] = Field(min_length=1)
    # Was the meeting open to the public (公開會議)? Said by the clerk; the guard
    # purchase.meeting_public refuses a closed one when the year's rules ask for public.
    public: StrictBool = True


class ProductChoice(Evidence):
    product_serial: Annotated[str, Field(pattern=r"^\d{5}-\d{3}$")]
    amount: Money
    # Hardware or teaching aids bundled with the product (陸、二、(二)5.(2)).
    hardware_amount: Money = 0


class ClauseDocument(Evidence):
    document: Literal["requirement", "contract"]
    text: str = ""


class ProcurementRecord(Evidence):
    """The 政府採購法 procurement: its band comes from the 採購金額, not from the award."""

    method: Literal["small_purchase", "three_quotes", "open", "selective", "restricted"]
    awarded_on: date
    procurement_amount: Money = Field(
        title="採購金額（元）",
        description=(
            "招標前核定的預算或預估金額（分批辦理者合計全部批數，"
            "含選購及後續擴充；政府採購法施行細則第 6 條），用以決定採購方式，不是決標金額"
        ),
    )
    amount: Money = Field(title="決標金額（元）", description="決標（簽約）的金額")
    vendor: Text
    justification: str = Field(
        "",
        title="理由",
        description="選擇性招標（第 20 條）或限制性招標（第 22 條第 1 項）須敘明的理由與款次",
    )


class DisbursementRequest(Evidence):
    requested_on: date
    amount: Money


class UsageRecord(Evidence):
    """After use: the basis for next year's buying (伍、三、(七)2)."""

    cumulative_users: Money
    cumulative_hours: Money
    notes: str = ""

"""The 附錄: the county's school list as stored, with the 合計 row."""

from dataclasses import dataclass

from forms.heading import Heading, heading
from forms.plan_data import PlanData

USE_NOTE = (
    "※本名單使用範圍包括 {year} 年計畫經費估算、預期績效指標達成值估算、"
    "管考平臺(學校基本資料)設定等。"
)


@dataclass(frozen=True)
class SchoolRow:
    seq: int
    level: str
    code: str
    county: str
    district: str
    establishment: str
    affiliation: str
    area: str
    indigenous: str  # 是/否
    name: str
    classes: int
    teachers: int
    students: int


@dataclass(frozen=True)
class SchoolTotals:
    schools: int
    classes: int
    teachers: int
    students: int


@dataclass(frozen=True)
class SchoolsDoc:
    heading: Heading
    previous_year: int  # the counts are of the year before the plan (112 for 113)
    rows: list[SchoolRow]
    totals: SchoolTotals
    note: str

    @property
    def columns(self) -> list[str]:
        y = self.previous_year
        return [
            "序號", "學制", "學校代碼", "縣市別", "鄉鎮市區", "設立別", "附屬", "地區屬性",
            "原住民學校", "學校全銜", f"{y} 年班級數", f"{y} 年編制教師數", f"{y} 年學生數",
        ]  # fmt: skip


def schools_doc(data: PlanData) -> SchoolsDoc:
    county = data.county.name
    rows = [
        SchoolRow(
            seq=s.seq, level=s.level, code=s.code, county=county, district=s.district,
            establishment=s.establishment, affiliation=s.affiliation, area=s.area,
            indigenous="是" if s.indigenous else "否", name=s.name,
            classes=s.classes, teachers=s.teachers, students=s.students,
        )
        for s in data.schools
    ]  # fmt: skip
    totals = SchoolTotals(
        schools=len(rows),
        classes=sum(r.classes for r in rows),
        teachers=sum(r.teachers for r in rows),
        students=sum(r.students for r in rows),
    )
    return SchoolsDoc(
        heading=heading(f"{data.year} 年度{county}所轄中小學名單", county, data.year),
        previous_year=data.year - 1,
        rows=rows,
        totals=totals,
        note=USE_NOTE.format(year=data.year),
    )

"""SYNTHETIC demo data, the tables and pure builders: county profiles, products, names,
school lists and plan content. Nothing here touches the database; demo.generate inserts it.

Everything is invented and marked so: school names end in 「(示範)」, school codes use the
unused 9000–9999 range and e-mail addresses the reserved `.example` domain. Each county
draws from its own seeded random stream, so a county looks the same whether it is
generated alone or with all the others.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from math import ceil
from typing import NamedTuple

from model.counties import CountyRef
from model.tables import BudgetLine, Product, School
from rules import BUSINESS_KEYS, Estimate, SchoolFacts, YearRules, administration_fee, estimate
from rules import targets as minimum_targets
from states.values import BudgetItem, Role

SEED = "jingjin-demo"
DEMO_MARK = "(示範)"
EMAIL_DOMAIN = "demo.example"  # RFC 2606: can never reach a real mailbox
FIRST_CODE = 9000  # codes 9000–9999 after the prefix are unused by real schools
JUNIOR_PER_100_ELEMENTARY = 28  # SPEC.md: 國中 are about 0.28 times the 國小

# 附件 outline 壹…柒; the 附錄 school list comes from the School table.
PLAN_SECTIONS = {
    "goals": "壹、計畫目標",
    "period": "貳、計畫期程",
    "participants": "參、實施對象",
    "status_and_results": "肆、執行現況與成效",
    "work_plan": "伍、年度工作規劃",
    "indicators": "陸、預期績效指標",
    "budget": "柒、經費需求",
}


# ------------------------------------------------------------------ county profiles
class CountyProfile(NamedTuple):
    elementary: int  # county-run 國小 in 113學年度 (SPEC.md)
    remote_pct: int  # share of 偏遠 schools, from data/schools-113-elementary.csv
    towns: str  # 鄉鎮市區 of ordinary schools, space-separated
    remote_towns: str = ""
    indigenous_towns: str = ""


PROFILES = {
    "新北市": CountyProfile(222, 20, "板橋區 淡水區 新莊區 新店區 三重區",
                            "瑞芳區 萬里區 貢寮區 金山區", "烏來區"),
    "臺北市": CountyProfile(151, 0, "文山區 士林區 北投區 大安區 內湖區"),
    "桃園市": CountyProfile(195, 12, "桃園區 中壢區 龜山區 楊梅區 蘆竹區",
                            "新屋區 觀音區 大園區", "復興區"),
    "臺中市": CountyProfile(243, 17, "北屯區 西屯區 太平區 大里區 豐原區",
                            "東勢區 新社區 外埔區", "和平區"),
    "臺南市": CountyProfile(214, 43, "永康區 北區 東區 安南區 善化區",
                            "七股區 北門區 鹽水區 白河區"),
    "高雄市": CountyProfile(246, 21, "鳳山區 三民區 前鎮區 小港區 左營區",
                            "美濃區 六龜區 杉林區 內門區", "桃源區 茂林區 那瑪夏區"),
    "宜蘭縣": CountyProfile(78, 22, "冬山鄉 宜蘭市 蘇澳鎮 員山鄉 壯圍鄉",
                            "頭城鎮 三星鄉", "南澳鄉 大同鄉"),
    "新竹縣": CountyProfile(87, 26, "竹北市 竹東鎮 新埔鎮 關西鎮 湖口鄉",
                            "關西鎮 竹東鎮 峨眉鄉", "尖石鄉 五峰鄉"),
    "苗栗縣": CountyProfile(114, 32, "頭份市 後龍鎮 苗栗市 竹南鎮 苑裡鎮",
                            "南庄鄉 卓蘭鎮 通霄鎮", "泰安鄉"),
    "彰化縣": CountyProfile(174, 28, "彰化市 鹿港鎮 員林市 和美鎮 溪湖鎮",
                            "芳苑鄉 溪州鄉 二林鎮 竹塘鄉"),
    "南投縣": CountyProfile(140, 59, "南投市 草屯鎮 埔里鎮 名間鄉 竹山鎮",
                            "國姓鄉 鹿谷鄉 魚池鄉", "仁愛鄉 信義鄉"),
    "雲林縣": CountyProfile(157, 59, "斗六市 虎尾鎮 古坑鄉 西螺鎮 斗南鎮",
                            "四湖鄉 口湖鄉 二崙鄉 元長鄉"),
    "嘉義縣": CountyProfile(120, 64, "民雄鄉 中埔鄉 太保市 水上鄉 竹崎鄉",
                            "東石鄉 竹崎鄉 梅山鄉", "阿里山鄉"),
    "屏東縣": CountyProfile(164, 48, "屏東市 內埔鄉 萬丹鄉 潮州鎮 東港鎮",
                            "高樹鄉 恆春鎮 里港鄉 林邊鄉", "三地門鄉 霧臺鄉 來義鄉 牡丹鄉"),
    "臺東縣": CountyProfile(88, 75, "臺東市 太麻里鄉", "卑南鄉 鹿野鄉 東河鄉",
                            "海端鄉 延平鄉 金峰鄉 達仁鄉 蘭嶼鄉"),
    "花蓮縣": CountyProfile(103, 68, "花蓮市 吉安鄉 新城鄉 壽豐鄉", "玉里鎮 富里鄉",
                            "秀林鄉 萬榮鄉 卓溪鄉"),
    "澎湖縣": CountyProfile(37, 100, "", "馬公市 湖西鄉 白沙鄉 西嶼鄉"),
    "基隆市": CountyProfile(41, 0, "七堵區 安樂區 中山區 中正區 信義區"),
    "新竹市": CountyProfile(33, 0, "東區 香山區 北區"),
    "嘉義市": CountyProfile(19, 0, "西區 東區"),
    "金門縣": CountyProfile(19, 100, "", "金沙鎮 金湖鎮 金寧鄉 金城鎮"),
    "連江縣": CountyProfile(7, 100, "", "南竿鄉 莒光鄉 北竿鄉 東引鄉"),
}  # fmt: skip
SPECIAL_MUNICIPALITIES = ("新北市", "桃園市", "臺中市", "臺南市", "高雄市")


def junior_high_count(elementary: int) -> int:
    return round(elementary * JUNIOR_PER_100_ELEMENTARY / 100)


def senior_high_count(elementary: int) -> int:
    """A few county-run complete high schools (完全中學), more in bigger counties."""
    return 1 + elementary // 80


def _semirural_pct(county: str) -> int:
    # 非山非市 is rural but not remote: common in 縣, rarer in 直轄市, absent in cities.
    if county.endswith("縣"):
        return 25
    return 10 if county in SPECIAL_MUNICIPALITIES else 0


def rng_for(year: int, county_code: str, topic: str) -> random.Random:
    # One stream per county and topic, so adding a topic never shifts another's data.
    return random.Random(f"{SEED}:{year}:{county_code}:{topic}")


# ------------------------------------------------------------------ products
class ProductSpec(NamedTuple):
    name: str
    vendor: str
    group: str
    reference_price: int


CONTENT = "數位內容組"
SOFTWARE = "課堂教學軟體組"
# The six names the rules list (data_clause_products) plus invented ones.
PRODUCTS = (
    ProductSpec("PaGamO 閱讀素養", "博弈科技股份有限公司", CONTENT, 36000),
    ProductSpec("學習吧加分版", "學習吧股份有限公司", CONTENT, 28000),
    ProductSpec("天下雜誌", "天下雜誌股份有限公司", CONTENT, 12000),
    ProductSpec("國語日報", "財團法人國語日報社", CONTENT, 15000),
    ProductSpec("晨星數學闖關島", "晨星數位學習股份有限公司", CONTENT, 32000),
    ProductSpec("小樹英語繪本館", "小樹文教科技有限公司", CONTENT, 24000),
    ProductSpec("自然探究動畫百科", "青禾教育科技股份有限公司", CONTENT, 30000),
    ProductSpec("臺灣歷史地圖時光機", "遠山數位文化有限公司", CONTENT, 26000),
    ProductSpec("本土語言互動學堂", "聲韻數位有限公司", CONTENT, 22000),
    ProductSpec("科學素養題庫通", "明理教育資訊股份有限公司", CONTENT, 34000),
    ProductSpec("e起讀電子書城", "書香雲端股份有限公司", CONTENT, 40000),
    ProductSpec("程式積木冒險島", "積木人科技有限公司", CONTENT, 27000),
    ProductSpec("英語口說練功坊", "聲波智能股份有限公司", CONTENT, 38000),
    ProductSpec("藝術鑑賞數位美術館", "彩虹橋數位內容有限公司", CONTENT, 18000),
    ProductSpec("Hiteach", "網奕資訊科技股份有限公司", SOFTWARE, 45000),
    ProductSpec("Loilonote", "LoiLo Inc.", SOFTWARE, 42000),
    ProductSpec("課堂即時回饋板", "青禾教育科技股份有限公司", SOFTWARE, 20000),
    ProductSpec("ClassBoard 協作白板", "雲階資訊股份有限公司", SOFTWARE, 25000),
    ProductSpec("學習歷程整合平台", "明理教育資訊股份有限公司", SOFTWARE, 60000),
    ProductSpec("AI 作文批閱助教", "文心智能股份有限公司", SOFTWARE, 48000),
    ProductSpec("智慧出題與診斷系統", "知行數位股份有限公司", SOFTWARE, 52000),
    ProductSpec("課堂載具畫面廣播", "雲階資訊股份有限公司", SOFTWARE, 16000),
    ProductSpec("影音教材剪輯工作室", "光點多媒體有限公司", SOFTWARE, 19000),
    ProductSpec("分組合作學習平台", "知行數位股份有限公司", SOFTWARE, 33000),
)
GROUP_NUMBERS = {CONTENT: 1, SOFTWARE: 2}


# ------------------------------------------------------------------ users
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余"
GIVEN_NAMES = (
    "雅婷", "怡君", "志明", "家豪", "淑芬", "俊傑", "佳穎", "冠宇", "宗翰", "美玲", "建宏", "惠如",
    "信良", "文彥", "秀珍", "承恩", "品妤", "振宇", "麗華", "柏翰", "欣怡", "家瑜", "志豪", "思妤",
)  # fmt: skip
NATIONAL_USERS = (
    ("moe.reviewer1", Role.ministry_reviewer, True),
    ("moe.reviewer2", Role.ministry_reviewer, False),
    ("moe.admin", Role.ministry_admin, False),
    ("auditor", Role.auditor, False),
)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


# ------------------------------------------------------------------ schools
class SchoolSpec(NamedTuple):
    level: str
    area: str
    establishment: str
    affiliation: str
    indigenous: bool
    district: str


STEM_CHARS = "光明興仁德信義和平忠孝安康文華中正東西南北新民富山林泉溪湖嶺埔田港雲竹松梅青永福"


def _towns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _level_counts(profile: CountyProfile) -> dict[str, int]:
    n = profile.elementary
    return {"國小": n, "國中": junior_high_count(n), "高中": senior_high_count(n)}


def _areas(profile: CountyProfile, county: str, count: int, rng: random.Random) -> list[str]:
    remote = round(count * profile.remote_pct / 100)
    semirural = round((count - remote) * _semirural_pct(county) / 100)
    areas = ["偏遠"] * remote + ["非山非市"] * semirural
    areas += ["一般"] * (count - len(areas))
    rng.shuffle(areas)
    return areas


def _district(profile: CountyProfile, area: str, indigenous: bool, rng: random.Random) -> str:
    towns, remote = _towns(profile.towns), _towns(profile.remote_towns)
    if indigenous:
        return rng.choice(_towns(profile.indigenous_towns))
    if area == "一般":
        return rng.choice(towns or remote)
    return rng.choice(remote or towns)


def _indigenous_slots(profile: CountyProfile, areas: list[str]) -> set[int]:
    """About a third of the remote schools, where the county has indigenous towns."""
    remote = [i for i, area in enumerate(areas) if area == "偏遠"]
    if not profile.indigenous_towns or not remote:
        return set()
    return set(remote[: max(1, round(len(remote) * 0.35))])


def _level_specs(ref: CountyRef, level: str, count: int, rng: random.Random) -> list[SchoolSpec]:
    profile = PROFILES[ref.name]
    own = "縣立" if ref.name.endswith("縣") else "市立"
    areas = _areas(profile, ref.name, count, rng)
    indigenous = _indigenous_slots(profile, areas)
    affiliation = "完全中學" if level == "高中" else "國中小"
    specs = [
        SchoolSpec(level, area, own, affiliation, i in indigenous,
                   _district(profile, area, i in indigenous, rng))
        for i, area in enumerate(areas)
    ]  # fmt: skip
    return _with_special_schools(ref, specs, rng)


def _with_special_schools(
    ref: CountyRef, specs: list[SchoolSpec], rng: random.Random
) -> list[SchoolSpec]:
    """Give the list every 設立別 and 附屬: private and university 國小, a town-run 高中."""
    if specs and specs[0].level == "國小":
        return _with_private_and_university(specs)
    if specs and specs[0].level == "高中":
        return _with_town_run(ref, specs, rng)
    return specs


def _with_private_and_university(specs: list[SchoolSpec]) -> list[SchoolSpec]:
    # About 2.5 % of 國小 are private (data/schools-113-elementary.csv); both kinds are urban.
    ordinary = [i for i, s in enumerate(specs) if s.area == "一般"]
    private = max(1, round(len(specs) * 0.025))
    university = 1 if len(specs) >= 30 else 0
    for i in ordinary[:private]:
        specs[i] = specs[i]._replace(establishment="私立", affiliation="高中附屬")
    for i in ordinary[private : private + university]:
        specs[i] = specs[i]._replace(establishment="公立", affiliation="大學附屬")
    return specs


def _with_town_run(ref: CountyRef, specs: list[SchoolSpec], rng: random.Random) -> list[SchoolSpec]:
    # A 縣轄市 may run a 高中 of its own; only counties with two or more 高中 show one.
    cities = [t for t in _towns(PROFILES[ref.name].towns) if t.endswith("市")]
    if not ref.name.endswith("縣") or not cities:
        return specs
    for i in range(1, len(specs)):
        specs[i] = specs[i]._replace(
            establishment="市立", area="一般", district=rng.choice(cities), indigenous=False
        )
    return specs


def _school_name(ref: CountyRef, spec: SchoolSpec, stem: str) -> str:
    if spec.affiliation == "高中附屬":
        body = f"私立{stem}高級中學附設國民小學"
    elif spec.affiliation == "大學附屬":
        body = f"公立{stem}大學附設實驗國民小學"
    elif spec.level == "高中":
        owner = spec.district if spec.establishment == "市立" and ref.name.endswith("縣") else ""
        body = f"{owner or ref.name}立{stem}高級中學"
    else:
        kind = "國民小學" if spec.level == "國小" else "國民中學"
        body = f"{ref.name}{spec.district}{stem}{kind}"
    return body + DEMO_MARK


def _stem(rng: random.Random, used: set[str]) -> str:
    while True:
        stem = "".join(rng.sample(STEM_CHARS, 2))
        if stem not in used:
            used.add(stem)
            return stem


def _sizes(spec: SchoolSpec, rng: random.Random) -> tuple[int, int, int]:
    """(classes, teachers, students) in the ranges schools of that kind really have."""
    if spec.area == "偏遠":
        if spec.level == "國小":
            return 6, rng.randint(9, 12), rng.randint(25, 60)
        classes = rng.randint(3, 6) * (2 if spec.level == "高中" else 1)
        return classes, max(9, round(classes * 2.4)), classes * rng.randint(8, 15)
    if spec.area == "非山非市":
        classes = rng.randint(6, 18)
        per_class = rng.randint(15, 24)
    else:
        low, high, mode = {"國小": (12, 60, 24), "國中": (9, 54, 21), "高中": (18, 60, 30)}[
            spec.level
        ]
        classes = round(rng.triangular(low, high, mode))
        per_class = rng.randint(20, 28) if spec.level != "高中" else rng.randint(25, 32)
    ratio = rng.uniform(1.6, 2.0) if spec.level == "國小" else rng.uniform(2.0, 2.5)
    return classes, round(classes * ratio), classes * per_class


def county_schools(ref: CountyRef, county_id: int, year: int) -> list[School]:
    rng = rng_for(year, ref.code, "schools")
    specs = [
        spec
        for level, count in _level_counts(PROFILES[ref.name]).items()
        for spec in _level_specs(ref, level, count, rng)
    ]
    used: set[str] = set()
    rows = []
    for seq, spec in enumerate(specs, start=1):
        classes, teachers, students = _sizes(spec, rng)
        rows.append(School(
            year=year, county_id=county_id, seq=seq, level=spec.level,
            code=f"{ref.prefixes[0]}{FIRST_CODE + seq - 1:04d}", district=spec.district,
            establishment=spec.establishment, affiliation=spec.affiliation, area=spec.area,
            indigenous=spec.indigenous, name=_school_name(ref, spec, _stem(rng, used)),
            classes=classes, teachers=teachers, students=students, synthetic=True,
        ))  # fmt: skip
    return rows


# ------------------------------------------------------------------ plan content
class PlanContent(NamedTuple):
    """What a county types into its plan: inputs, the 12 lines, targets and 壹…柒."""

    inputs: dict[str, int]
    estimate: Estimate
    lines: list[BudgetLine]
    targets: dict[str, int]
    sections: dict[str, str]


def plan_content(county: CountyRef, facts: list[SchoolFacts], rules: YearRules) -> PlanContent:
    rng = rng_for(rules.year, county.code, "plan")
    inputs = plan_inputs(facts, rng)
    est = estimate(facts, rules, **inputs)
    lines = _budget_lines(est, inputs, rules, rng)
    county_targets = _county_targets(facts, rules, rng)
    sections = _sections(county.name, facts, inputs, county_targets, lines, rules)
    return PlanContent(inputs, est, lines, county_targets, sections)


def plan_inputs(facts: Sequence[SchoolFacts], rng: random.Random) -> dict[str, int]:
    """County-chosen quantities behind the estimate, sized to the county."""
    teachers = sum(f.teachers for f in facts)
    students = sum(f.students for f in facts)
    return {
        "workshops": max(4, ceil(teachers / 50)),  # about 50 teachers a session
        "companion_schools": ceil(len(facts) * 0.3),
        "devices": students // 100 * 10,  # one in ten students, bought before this programme
        "mdm_fee": 500,  # the 4-year licence per device
        "periods_per_school": rng.choice((30, 36, 40)),
        "per_head": 120,
    }


def _county_targets(
    facts: list[SchoolFacts], rules: YearRules, rng: random.Random
) -> dict[str, int]:
    """The minimums, with a little ambition where a county can choose more."""
    minimums = minimum_targets(facts, rules)
    ceilings = {
        "key_schools": len(facts),
        "self_learning_open_lessons": len(facts),
        "parent_sessions": 3,
        "literacy_teachers": sum(f.teachers for f in facts),
    }
    chosen = dict(minimums)
    for key, ceiling in ceilings.items():
        extra = rng.randint(0, max(1, minimums[key] // 10))
        chosen[key] = max(minimums[key], min(ceiling, minimums[key] + extra))
    return chosen


# ------------------------------------------------------------------ budget lines
PART_TIME = {
    BudgetItem.principal_investigator: ("part_time_pi", "兼任計畫主持人"),
    BudgetItem.co_investigator: ("part_time_co_pi", "兼任協同計畫主持人"),
}
PERSON_MONTHS = 12
EXTRA_WORKSHOPS = 2
DIGITAL_CONTENT_CAPITAL_PCT = 30  # multi-year licences of ≥ NT$10,000 count as 資本門


def _budget_lines(
    est: Estimate, inputs: dict[str, int], rules: YearRules, rng: random.Random
) -> list[BudgetLine]:
    """The 12 lines: the request equals the estimate except where a line explains why."""
    lines = {
        item: BudgetLine(
            plan_id=0, item=item, estimate=est.items.get(item.value, 0),
            recurrent=est.items.get(item.value, 0),
        )
        for item in BudgetItem
    }  # fmt: skip
    for item, (rule_key, title) in PART_TIME.items():
        _request_part_time(lines[item], getattr(rules.budget, rule_key), title, rng)
    _split_capital(lines[BudgetItem.digital_content])
    _add_workshops(lines[BudgetItem.teacher_training], rules)
    _drop_devices(lines[BudgetItem.mdm_licences], inputs)
    _recompute_administration(lines, rules)
    return list(lines.values())


def _request_part_time(line: BudgetLine, rates, title: str, rng: random.Random) -> None:
    # The estimate has nothing for part-time PIs: they are paid only on request.
    line.person_months = PERSON_MONTHS
    line.monthly_rate = rng.randrange(rates.min_monthly, rates.max_monthly + 1, 500)
    line.recurrent = PERSON_MONTHS * line.monthly_rate
    line.explanation = (
        f"{title} 1 人，每月 {line.monthly_rate:,} 元 × {PERSON_MONTHS} 個月，依實際兼任情形申請。"
    )


def _split_capital(line: BudgetLine) -> None:
    line.capital = line.estimate * DIGITAL_CONTENT_CAPITAL_PCT // 100 // 1000 * 1000
    line.recurrent = line.estimate - line.capital


def _add_workshops(line: BudgetLine, rules: YearRules) -> None:
    per_session = rules.budget.teacher_training.per_session
    line.recurrent = line.estimate + EXTRA_WORKSHOPS * per_session
    line.explanation = (
        f"增辦數位教學指引(2.0)培力工作坊 {EXTRA_WORKSHOPS} 場，每場 {per_session:,} 元。"
    )


def _drop_devices(line: BudgetLine, inputs: dict[str, int]) -> None:
    dropped = min(inputs["devices"], max(10, inputs["devices"] // 20 // 10 * 10))
    if dropped == 0:
        return
    line.recurrent = line.estimate - dropped * inputs["mdm_fee"]
    line.explanation = f"既有載具 {dropped:,} 臺之 MDM 授權尚在效期內，本年度減列。"


def _recompute_administration(lines: dict[BudgetItem, BudgetLine], rules: YearRules) -> None:
    # In a plan, 行政管理費 is figured on its own 經常門 業務費, not the estimate's.
    business = sum(lines[BudgetItem(key)].recurrent for key in BUSINESS_KEYS)
    line = lines[BudgetItem.administration]
    line.recurrent = administration_fee(business, rules)
    if line.recurrent != line.estimate:
        line.explanation = f"依本計畫經常門業務費 {business:,} 元重新計算行政管理費。"


# ------------------------------------------------------------------ plan text
def _roc(day: date, rules: YearRules) -> str:
    return f"{day.year - rules.facts.roc_year_offset}年{day.month}月{day.day}日"


def _sections(
    county: str,
    facts: list[SchoolFacts],
    inputs: dict[str, int],
    county_targets: dict[str, int],
    lines: list[BudgetLine],
    rules: YearRules,
) -> dict[str, str]:
    here = "本縣" if county.endswith("縣") else "本市"
    levels = "、".join(
        f"{level} {sum(f.level == level for f in facts)} 校" for level in ("國小", "國中", "高中")
    )
    teachers, students = sum(f.teachers for f in facts), sum(f.students for f in facts)
    t = county_targets
    remote = sum(f.remote for f in facts)
    recurrent = sum(line.recurrent for line in lines)
    capital = sum(line.capital for line in lines)
    return {
        "goals": (
            f"落實{county}中小學數位學習，協助所轄 {len(facts)} 校善用學習載具與數位內容，"
            "提升教師數位教學知能與學生數位素養，推動學生自主學習。"
        ),
        "period": f"自{_roc(rules.period.start, rules)}起至{_roc(rules.period.end, rules)}止。",
        "participants": (
            f"{here}所轄{levels}，教師 {teachers:,} 人、學生 {students:,} 人。"
        ),
        "status_and_results": (
            f"112 年度數位學習工作坊累計培訓教師達編制教師數 82%；偏遠學校 {remote} 校"
            "已達一生一載具，非偏遠學校依每 6 班配發 1 班學習載具。"
        ),
        "work_plan": (
            "每月召開推動辦公室工作會議，每季邀請教育部輔導團隊參與；"
            f"辦理數位學習工作坊 {inputs['workshops']} 場、數位素養研習及家長宣講；"
            f"入校入班陪伴 {inputs['companion_schools']} 校；"
            f"依「{rules.software.approved_list_name}」經公開會議決議採購數位內容及教學軟體。"
        ),
        "indicators": (
            f"重點學校 {t['key_schools']} 校、公開觀議課 {t['open_lessons']} 場、"
            f"數位素養培訓教師 {t['literacy_teachers']:,} 人、"
            f"學習成效抽樣 {t['sampled_schools']} 校。"
        ),
        "budget": (
            f"申請補助新臺幣 {recurrent + capital:,} 元（經常門 {recurrent:,} 元、"
            f"資本門 {capital:,} 元），明細詳經費申請表。"
        ),
    }  # fmt: skip


# ------------------------------------------------------------------ purchases
PURCHASES_PER_COUNTY = 6
BIG_COUNTY_CONTENT = 4_000_000  # below this, amounts are shares of the item-6 budget
SMALL_COUNTY_SHARES_PCT = (5, 5, 10, 15, 20, 30)


class PurchasePick(NamedTuple):
    product: Product
    amount: int
    schools: int  # how many schools asked for it in the needs survey


def purchase_amounts(content_budget: int, rules: YearRules, rng: random.Random) -> list[int]:
    """Two 小額採購, three mid-size and one at or above 公告金額 when the budget allows."""
    if content_budget < BIG_COUNTY_CONTENT:
        return [content_budget * pct // 100 // 1000 * 1000 for pct in SMALL_COUNTY_SHARES_PCT]
    small = rules.procurement.small_purchase_max // 1000
    big = rules.procurement.announcement_threshold
    return [
        rng.randrange(60, small + 1) * 1000,
        rng.randrange(60, small + 1) * 1000,
        *(rng.randrange(small + 50, big // 1000 - 100) * 1000 for _ in range(3)),
        max(big, content_budget * 30 // 100 // 1000 * 1000),
    ]


def purchase_picks(
    county_code: str, content_budget: int, products: list[Product], rules: YearRules
) -> list[PurchasePick]:
    """Six purchases: the first of a data-clause product, then five others."""
    rng = rng_for(rules.year, county_code, "purchases")
    clause = [p for p in products if p.needs_data_clause]
    other = [p for p in products if not p.needs_data_clause]
    chosen = [rng.choice(clause), *rng.sample(other, PURCHASES_PER_COUNTY - 1)]
    amounts = purchase_amounts(content_budget, rules, rng)
    return [
        PurchasePick(product, amount, rng.randint(3, 30))
        for product, amount in zip(chosen, amounts, strict=True)
    ]


def purchase_title(product: Product, rules: YearRules) -> str:
    return f"{rules.year}年度『{product.name}』授權採購"  # 『』: it is quoted again in 「」

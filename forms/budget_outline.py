"""The fixed wording of the 經費申請表 (附件 柒): its seven items, their 編列說明 and notes.

A "○" in a 編列說明 is a blank the county fills; BLANKS names the plan input that fills
it, so the document shows the county's number where it has one. The year's numbers in
the wording (licence years, the 行政管理費 rates and cap) come from the rules file.
"""

from typing import NamedTuple

from rules import YearRules
from states.values import BudgetItem


class BudgetGroup(NamedTuple):
    number: str
    title: str
    items: tuple[BudgetItem, ...]
    notes: tuple[str, ...]  # 編列說明, one entry per numbered point


GROUPS: tuple[BudgetGroup, ...] = (
    BudgetGroup(
        "1",
        "數位學習推動辦公室-專(兼)任人力",
        (
            BudgetItem.admin_staff,
            BudgetItem.counseling_staff,
            BudgetItem.it_staff,
            BudgetItem.principal_investigator,
            BudgetItem.co_investigator,
        ),
        (
            "本計畫之行政人力、輔導人力和資訊人力，業依分工執掌合理配置，以執行本計畫數位學習"
            "相關工作為限，並考量其工作內容、專業技能、獨立作業能力、相關經驗年資及預期績效表現"
            "等條件，自訂上述人力工作酬金標準，補助項目包含薪資、年終獎金、法定保險費用、勞/健保"
            "及勞工退休金。",
            "計畫執行中倘需編列相關人員資遣費、違約金、加班費、應休未休特別工資等費用，由本縣(市)"
            "自籌經費支應。",
        ),
    ),
    BudgetGroup(
        "2",
        "代理代課費",
        (BudgetItem.substitute_teaching,),
        (
            "補助至每一學校，以支應參與本計畫相關增能研習、會議、活動、入校入班(手把手)陪伴服務"
            "(數位領航老師{navigator_teachers}人)之代課鐘點費，以及執行本計畫相關工作衍生之減授課費用等。",
            "補助項目包括代課/減授課費用、二代健保補充保費等。",
            "依據「公立中小學兼任及代課教師鐘點費支給基準表」編列辦理。",
        ),
    ),
    BudgetGroup(
        "3",
        "教師增能研習費",
        (BudgetItem.teacher_training,),
        (
            "補助由本縣(市)規劃辦理之教師增能研習所需費用。",
            "數位學習基礎課程：例如數位學習工作坊(一)、數位學習工作坊(二)、數位素養增能培訓、"
            "學校資訊組長(或資訊負責人員)增能研習等。",
            "數位學習進階課程：例如科技輔助自主學習工作坊、各領域/科目數位教學工作坊、數位教學"
            "指引(2.0)培力工作坊、PBL(專題導向學習 project-based learning，PBL)教學應用工作坊等。",
        ),
    ),
    BudgetGroup(
        "4",
        "數位學習推動辦公室-運作費",
        (BudgetItem.office_operations, BudgetItem.school_companion),
        (
            "補助項目包括諮詢或研商等會議、專家教授輔導、家長宣講、入校入班(手把手)陪伴服務至少"
            "{companion_schools}校、計畫成果展示、跨校交流活動、推廣(獎勵)活動、公開觀議課、重點學校"
            "推動經費、(非行政庶務需求使用)資訊設備維護費、差旅費等。",
        ),
    ),
    BudgetGroup(
        "5",
        "既有學習載具管理系統(MDM)使用授權",
        (BudgetItem.mdm_licences,),
        (
            "由本縣(市)統一彙整學校需求後提出申請。",
            "業將學校既有學習載具之使用年限及 MDM 安裝效益納入考量。",
            "{licence_years} 年使用授權費{mdm_fee}元*{devices}臺。",
        ),
    ),
    BudgetGroup(
        "6",
        "數位內容及教學軟體",
        (BudgetItem.digital_content,),
        (
            "補助購置教育部「校園數位內容與教學軟體選購名單」產品所需經費，以本縣(市)所轄中小學"
            "師生數估算補助額度。",
            "本項經費不得流用至其他經費項目且不得用於產品相關硬體/教具等費用，倘需結合硬體/教具，"
            "由縣市政府自籌經費支應。",
        ),
    ),
    BudgetGroup(
        "7",
        "行政管理費",
        (BudgetItem.administration,),
        (
            "補助項目包含數位學習推動辦公室所需水電費、電話費、(行政用)設備維護費等。",
            "業務費 {adm_threshold}(含)以下者，按業務費*{adm_low}以內編列，超過 {adm_threshold}以上"
            "部分，按超過部分*{adm_high}以內編列；編列上限為 {adm_cap}。",
        ),
    ),
)

# Plan.inputs keys that fill the ○ blanks above; a missing input stays "○".
BLANKS = ("navigator_teachers", "companion_schools", "mdm_fee", "devices")

MDM_ESTIMATE_NOTE = "依學校執行數位學習之學習載具納管情形酌予補助。"
NO_TRANSFER_NOTE = "本計畫經費核定後，經常門、資本門項目不得流用。"
REMARKS: tuple[str, ...] = (
    "本計畫所需經費如未獲立法院審議通過或經部份刪減，教育部得依審議結果調整計畫經費，"
    "並依預算法第 54 條規定辦理。",
    "本計畫以全額補助、納入預算方式辦理，執行期程自{start}起至{end}止。",
    "私立學校所需學習載具設備等，由本縣(市)持續提供使用，財產權仍為本縣(市)所有。其他例如"
    "人事費、業務費等經費需求，本縣(市)擬依學校需求統籌規劃或代為撥付。",
    "計畫經費編列、支用與結報，依據「教育部補(捐)助及委辦經費核撥結報作業要點」及中央政府"
    "各項經費支用規定執行。",
)


def fill_blanks(text: str, inputs: dict, rules: YearRules) -> str:
    values = {key: _blank(inputs.get(key)) for key in BLANKS}
    return text.format(**values, **rule_words(rules))


def rule_words(rules: YearRules) -> dict[str, object]:
    adm = rules.budget.administration
    return {
        "licence_years": rules.budget.mdm.licence_years,
        "adm_threshold": _money_words(adm.threshold),
        "adm_low": _percent(adm.low_rate_bp),
        "adm_high": _percent(adm.high_rate_bp),
        "adm_cap": _money_words(adm.cap),
    }


def _money_words(amount: int) -> str:
    # The template writes round amounts in 萬元 (300 萬元), others in 元.
    return f"{amount // 10000:,} 萬元" if amount % 10000 == 0 else f"{amount:,} 元"


def _percent(bp: int) -> str:
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def _blank(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f" {value:,} "
    return "○"

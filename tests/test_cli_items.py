"""`jingjin purchase|plan|… new/show/advance/history/list` and `jingjin diagram`, in-process."""

import json
import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from demo.generate import generate
from model.db import make_engine
from model.migrate import upgrade
from model.tables import Plan, Purchase
from rules import load_rules
from states.values import PlanState
from tests.cli_env import configured, run

CLAUSE = load_rules(113).software.data_clause_text
MEETING_OPTIONS = (
    "--held-on", "2024-03-01", "--minutes", "決議採購",
    "--attendee", "王老師:teacher", "--attendee", "李主任:學校行政人員",
    "--attendee", "陳專員:office_member",
)  # fmt: skip
TODAY = ("--today", "2024-12-02")  # on or after every date typed below


@pytest.fixture
def cli(monkeypatch, tmp_path) -> Iterator:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        generate(session)
        # The plan lifecycle is another engineer's; contracting only needs it approved.
        session.exec(select(Plan)).one().status = PlanState.approved
        session.commit()
    engine.dispose()
    with configured(monkeypatch, url) as runner:
        yield lambda *args: run(runner, *args)


def _json(result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _new(cli, amount: int = 100_000) -> int:
    created = _json(cli("purchase", "new", "--as", "hsq.staff1", "--title", "測試採購",
                        "--amount", str(amount), "--json"))  # fmt: skip
    return created["id"]


def _decide(cli, item: int, *extra: str):
    return cli("purchase", "advance", str(item), "decide", "--as", "hsq.staff1",
               *MEETING_OPTIONS, *TODAY, *extra)  # fmt: skip


def test_purchase_new_then_advance_exits_0_and_json_parses(cli):
    item = _new(cli)
    data = _json(_decide(cli, item, "--json"))
    assert data["from_state"] == "needs_collected"
    assert data["to_state"] == "meeting_decided"
    assert data["version"] == 2


def test_purchase_walk_with_typed_options_reaches_closed(cli, tmp_path):
    contract_text = tmp_path / "contract.txt"
    contract_text.write_text(f"第五條\n{CLAUSE[:12]}\n{CLAUSE[12:]}。\n", encoding="utf-8")
    item = _new(cli)
    as_staff = ("--as", "hsq.staff1", *TODAY)
    steps = [
        ("decide", *MEETING_OPTIONS),
        ("verify_product", "--product", "11301-001", "--amount", "100000"),
        ("verify_clause", "--document", "contract", "--text-file", str(contract_text)),
        ("contract", "--method", "small_purchase", "--awarded-on", "2024-06-01",
         "--procurement-amount", "100000", "--amount", "98000", "--vendor", "示範廠商",
         "--letter-no", "府教數字第1130001號"),
        ("request_disbursement", "--requested-on", "2024-12-02", "--amount", "98000"),
        ("record_usage", "--users", "320", "--hours", "1500", "--notes", "使用踴躍"),
    ]  # fmt: skip
    for event, *options in steps:
        result = cli("purchase", "advance", str(item), event, *as_staff, *options)
        assert result.exit_code == 0, result.output
    shown = _json(cli("purchase", "show", str(item), "--json"))
    assert shown["state"] == "closed"
    assert shown["item"]["evidence"]["late_request"] is True
    assert (shown["item"]["procurement_amount"], shown["item"]["amount"]) == (100000, 98000)
    assert shown["events"] == []
    # The text prints the facts the item's page shows (web/facts.py), the same strings.
    text = cli("purchase", "show", str(item)).output
    for fact in (
        "採購方式：小額採購",
        "採購金額：新臺幣 100,000 元",
        "決標（契約）金額：新臺幣 98,000 元",
        "得標廠商：示範廠商",
        "決標日期：113/06/01",
        "請撥日期：113/12/02（逾請撥期限）",
        "請撥金額：新臺幣 98,000 元",
        "公開會議日期：113/03/01",
        "累計使用時數：1,500",
    ):
        assert fact in text, fact


def test_request_after_deadline_prints_late_note(cli):
    item = _new(cli)
    for event, *options in [
        ("decide", *MEETING_OPTIONS),
        ("verify_product", "--product", "11301-005", "--amount", "100000"),
        ("verify_clause", "--document", "contract", "--text", "無"),
        ("contract", "--method", "small_purchase", "--awarded-on", "2024-06-01",
         "--procurement-amount", "100000", "--amount", "100000", "--vendor", "示範廠商"),
    ]:  # fmt: skip
        assert (
            cli("purchase", "advance", str(item), event, "--as", "hsq.staff1", *options).exit_code
            == 0
        )
    result = cli("purchase", "advance", str(item), "request_disbursement", "--as", "hsq.staff1",
                 "--requested-on", "2024-12-02", "--amount", "100000", "--today", "2024-12-02")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "113/11/30" in result.output and "113/12/02" in result.output and "逾期" in result.output


def test_typed_options_record_same_evidence_as_json(cli):
    typed, raw = _new(cli), _new(cli)
    assert _decide(cli, typed).exit_code == 0
    evidence = {
        "held_on": "2024-03-01",
        "minutes": "決議採購",
        "attendees": [
            {"name": "王老師", "role": "teacher"},
            {"name": "李主任", "role": "school_admin"},
            {"name": "陳專員", "role": "office_member"},
        ],
    }
    result = cli("purchase", "advance", str(raw), "decide", "--as", "hsq.staff1",
                 "--evidence", json.dumps(evidence, ensure_ascii=False), *TODAY)  # fmt: skip
    assert result.exit_code == 0, result.output
    logged = [
        _json(cli("purchase", "history", str(i), "--json"))[-1]["evidence"] for i in (typed, raw)
    ]
    # The model's default (a public meeting) is logged either way.
    assert logged[0] == logged[1] == evidence | {"public": True}


@pytest.mark.parametrize(("flag", "refused"), [("--public", False), ("--not-public", True)])
def test_decide_with_public_flag_records_or_refuses_meeting(cli, flag, refused):
    item = _new(cli)
    result = _decide(cli, item, flag)
    if refused:
        assert result.exit_code == 3
        assert "[purchase.meeting_public]" in result.output
        return
    assert result.exit_code == 0, result.output
    logged = _json(cli("purchase", "history", str(item), "--json"))[-1]["evidence"]
    assert logged["public"] is True


def test_advance_refused_exits_3_and_prints_rule_ids(cli):
    item = _new(cli)
    result = cli("purchase", "advance", str(item), "decide", "--as", "hsq.staff1",
                 "--held-on", "2023-12-01", "--minutes", "m", "--attendee", "王老師:teacher")  # fmt: skip
    assert result.exit_code == 3
    assert "[purchase.meeting_representative]" in result.output
    assert "[purchase.date_in_period]" in result.output
    assert "112/12/01" in result.output
    shown = _json(cli("purchase", "show", str(item), "--json"))
    assert (shown["state"], shown["item"]["version"]) == ("needs_collected", 1)


def test_advance_by_other_role_exits_3_with_access_role(cli):
    item = _new(cli)
    result = cli("purchase", "advance", str(item), "decide", "--as", "moe.reviewer1",
                 *MEETING_OPTIONS)  # fmt: skip
    assert result.exit_code == 3
    assert "[access.role]" in result.output


def test_advance_unknown_event_exits_2_listing_allowed(cli):
    item = _new(cli)
    result = cli("purchase", "advance", str(item), "fly", "--as", "hsq.staff1")
    assert result.exit_code == 2
    assert "decide" in result.output and "cancel" in result.output


def test_advance_unknown_item_or_user_exits_2(cli):
    assert cli("purchase", "advance", "9999", "decide", "--as", "hsq.staff1").exit_code == 2
    item = _new(cli)
    assert cli("purchase", "advance", str(item), "decide", "--as", "nobody").exit_code == 2


def test_advance_option_not_for_step_exits_2(cli):
    item = _new(cli)
    result = _decide(cli, item, "--vendor", "某廠商")
    assert result.exit_code == 2
    assert "--vendor" in result.output


def test_advance_stale_expected_version_exits_4_with_current_state(cli):
    item = _new(cli)
    assert _decide(cli, item, "--expect-version", "1").exit_code == 0
    result = cli("purchase", "advance", str(item), "verify_product", "--as", "hsq.supervisor",
                 "--product", "11301-005", "--amount", "1000", "--expect-version", "1")  # fmt: skip
    assert result.exit_code == 4
    assert "已經公開會議決議" in result.output and "meeting_decided" in result.output


def test_show_prints_roc_dates_amounts_and_own_events(cli):
    item = _new(cli, 1_234_567)
    result = cli("purchase", "show", str(item), "--as", "hsq.staff1")
    assert result.exit_code == 0, result.output
    assert "新臺幣 1,234,567 元" in result.output
    assert "需求彙整中" in result.output
    assert "decide" in result.output
    assert "限縣市主管" in result.output  # cancel is the supervisor's
    events = _json(cli("purchase", "show", str(item), "--as", "hsq.supervisor", "--json"))["events"]
    assert {e["event"]: e["allowed"] for e in events} == {"decide": True, "cancel": True}


def test_show_for_ministry_reviewer_offers_no_county_event(cli):
    # A ministry reviewer reads every county but takes none of the county's purchase steps.
    item = _new(cli)
    events = _json(cli("purchase", "show", str(item), "--as", "moe.reviewer1", "--json"))["events"]
    assert not any(e["allowed"] for e in events)


def test_history_prints_every_row_with_roc_time_actor_reason_letter(cli):
    item = _new(cli)
    assert _decide(cli, item, "--letter-no", "府教數字第1130001號").exit_code == 0
    result = cli("purchase", "advance", str(item), "cancel", "--as", "hsq.supervisor",
                 "--reason", "需求改由他案支應")  # fmt: skip
    assert result.exit_code == 0, result.output
    result = cli("purchase", "history", str(item))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "共 3 筆" in lines[0]
    assert "（建立） → 需求彙整中" in lines[1]
    assert "需求彙整中 → 已經公開會議決議" in lines[2] and "府教數字第1130001號" in lines[2]
    assert "hsq.supervisor" in lines[3] and "理由：需求改由他案支應" in lines[3]
    rows = _json(cli("purchase", "history", str(item), "--json"))
    assert [r["event"] for r in rows] == ["create", "decide", "cancel"]
    assert all(re.fullmatch(r"\d{3}/\d{2}/\d{2} \d{2}:\d{2}", r["at_roc"]) for r in rows)


def test_list_filters_by_county_and_state(cli):
    item = _new(cli)
    assert _decide(cli, item).exit_code == 0
    decided = _json(cli("purchase", "list", "--county", "新竹縣", "--state", "meeting_decided",
                        "--json"))  # fmt: skip
    assert [r["id"] for r in decided] == [item]
    assert decided[0]["county"] == "新竹縣"
    by_code = _json(cli("purchase", "list", "--county", "hsq", "--json"))
    assert len(by_code) == 7  # six demo purchases and this one
    assert _json(cli("purchase", "list", "--county", "臺北市", "--json")) == []
    assert cli("purchase", "list", "--state", "flying").exit_code == 2
    assert cli("purchase", "list", "--county", "火星").exit_code == 2
    result = cli("purchase", "list", "--county", "臺北市", "--as", "hsq.staff1")
    assert result.exit_code == 3 and "[access.county]" in result.output


def test_every_registered_lifecycle_has_its_commands(cli):
    from cli.item_common import command_name
    from workflow.lifecycles import LIFECYCLES

    for item_type in LIFECYCLES:
        result = cli(command_name(item_type), "--help")
        assert result.exit_code == 0, result.output
        for command in ("new", "show", "advance", "history", "list"):
            assert command in result.output
    plans = _json(cli("plan", "list", "--json"))
    assert plans[0]["state"] == "approved"


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_diagram_writes_file_with_zh_state_names(cli, tmp_path, suffix):
    out = tmp_path / f"purchase{suffix}"
    result = cli("diagram", "purchase", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    if suffix == ".svg":
        svg = out.read_text(encoding="utf-8")
        assert "需求彙整中" in svg and "已決標簽約" in svg
        assert "登錄公開會議決議" in svg  # the arrow carries the button's title


def test_diagram_unknown_kind_or_format_exits_2(cli, tmp_path):
    assert cli("diagram", "spaceship", "--out", str(tmp_path / "x.svg")).exit_code == 2
    assert cli("diagram", "purchase", "--out", str(tmp_path / "x.gif")).exit_code == 2


def test_rows_are_stored_on_success_only(cli, tmp_path):
    item = _new(cli)
    result = _decide(cli, item, "--attendee", "x")  # malformed: refused before any write
    assert result.exit_code == 2 and "--attendee「x」格式應為「姓名:身分」" in result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with Session(engine) as session:
        assert session.get(Purchase, item).version == 1
    engine.dispose()


def test_missing_evidence_named_by_its_label_in_words(cli):
    item = _new(cli)
    result = cli("purchase", "advance", str(item), "decide", "--as", "hsq.staff1",
                 "--held-on", "113/02/30", "--attendee", "王老師:teacher", *TODAY)  # fmt: skip
    assert result.exit_code == 2
    assert "--held-on：「113/02/30」沒有這一天" in result.output
    result = cli("purchase", "advance", str(item), "decide", "--as", "hsq.staff1",
                 "--held-on", "1130301", "--attendee", "王老師:teacher", *TODAY)  # fmt: skip
    assert result.exit_code == 3
    assert "請填寫「會議紀錄摘要」。" in result.output
    assert "minutes" not in result.output and "Field required" not in result.output


def test_roc_dates_typed_in_options_are_recorded_as_iso(cli):
    item = _new(cli)
    options = [o if o != "2024-03-01" else "113年3月1日" for o in MEETING_OPTIONS]
    result = cli("purchase", "advance", str(item), "decide", "--as", "hsq.staff1", *options,
                 "--today", "113/12/02")  # fmt: skip
    assert result.exit_code == 0, result.output
    logged = _json(cli("purchase", "history", str(item), "--json"))[-1]["evidence"]
    assert logged["held_on"] == "2024-03-01"


def test_purchase_new_refuses_control_characters_in_the_title(cli):
    result = cli("purchase", "new", "--as", "hsq.staff1", "--title", "平板\x1b[2J授權")
    assert result.exit_code != 0 and "不可見的控制字元" in result.output


def test_evidence_options_are_drawn_from_the_evidence_models():
    # What the web form draws from each step's model, the command line offers as options
    # (a table of figures excepted: JSON), with the model's label in the help.
    from cli.item_advance import COMMON_FIELDS, evidence_options
    from web.evidence_form import field_specs
    from workflow.lifecycles import LIFECYCLES

    for lifecycle in LIFECYCLES.values():
        specs = {
            spec.name: spec
            for step in lifecycle.steps.values()
            for spec in field_specs(step.evidence)
            if spec.name not in COMMON_FIELDS
        }
        options = evidence_options(lifecycle)
        typed = {spec.name for spec in specs.values() if spec.kind not in ("spending", "json")}
        typed -= {"acquisitions"}  # its rows hold figures: given as JSON
        assert {o.field for o in options} == typed, lifecycle.item_type
        for option in options:
            assert specs[option.field].label in option.make().help, option.flag


def test_choice_typed_as_its_label_records_its_key(cli):
    item = _new(cli)
    for event, *options in [
        ("decide", *MEETING_OPTIONS),
        ("verify_product", "--product-serial", "11301-005", "--amount", "100000"),
        ("verify_clause", "--document", "契約書", "--text", CLAUSE),
    ]:  # fmt: skip
        result = cli("purchase", "advance", str(item), event, "--as", "hsq.staff1", *TODAY,
                     *options)  # fmt: skip
        assert result.exit_code == 0, result.output
    logged = _json(cli("purchase", "history", str(item), "--json"))
    assert logged[-1]["evidence"]["document"] == "contract"
    assert logged[-2]["evidence"]["product_serial"] == "11301-005"

"""`jingjin diagram plan|purchase|reimbursement --out PATH`: a lifecycle's state diagram.

Drawn by python-statemachine's diagram support (pydot and Graphviz `dot`); states carry
their zh-TW names and each arrow the button people press, with the event id beneath.
"""

from pathlib import Path

import typer
from statemachine.contrib.diagram import DotGraphMachine

from cli.common import fail
from cli.items import command_name
from workflow.lifecycles import LIFECYCLES
from workflow.service import Lifecycle

FORMATS = {".svg": "svg", ".png": "png"}
# A font with traditional Chinese glyphs, so `dot` lays the labels out at their width.
CJK_FONT = "Noto Sans CJK TC"


class _Drawing(DotGraphMachine):
    font_name = CJK_FONT


def diagram_command(
    kind: str = typer.Argument(..., help="項目種類：" + "、".join(map(command_name, LIFECYCLES))),
    out: Path = typer.Option(..., "--out", help="輸出檔 (.svg 或 .png)"),
) -> None:
    """輸出項目生命週期的狀態圖。"""
    lifecycle = _lifecycle(kind)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        fail(f"輸出檔須為 .svg 或 .png：{out}")
    graph = state_graph(lifecycle)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        graph.write(str(out), format=fmt)
    except (OSError, AssertionError) as exc:  # pydot reports a missing or failing `dot`
        fail(f"無法以 Graphviz 產生 {out}：{exc}")
    typer.echo(f"已輸出「{lifecycle.label}」狀態圖：{out}")


def _lifecycle(kind: str) -> Lifecycle:
    by_name = {command_name(t): lc for t, lc in LIFECYCLES.items()}
    lifecycle = by_name.get(kind.replace("_", "-"))
    if lifecycle is None:
        fail(f"沒有「{kind}」這種項目。可用的種類：{'、'.join(by_name)}")
    return lifecycle


def state_graph(lifecycle: Lifecycle):
    """The machine's graph, titled and with the steps' zh-TW titles on the arrows."""
    graph = _Drawing(lifecycle.machine).get_graph()
    graph.set_label(lifecycle.label)
    graph.set_fontname(CJK_FONT)
    graph.set_edge_defaults(fontname=CJK_FONT, fontsize="9")
    for edge in _edges(graph):
        titles = _titles(lifecycle, _node(edge.get_source()), _node(edge.get_destination()))
        if titles:
            edge.set_label(titles)
    return graph


def _edges(graph) -> list:
    found = list(graph.get_edges())
    for sub in graph.get_subgraphs():
        found += _edges(sub)
    return found


def _node(name: str) -> str:
    return name.strip('"')


def _titles(lifecycle: Lifecycle, source: str, target: str) -> str:
    states = {s.id: s for s in lifecycle.machine.states}
    if source not in states:
        return ""
    labels = []
    for transition in states[source].transitions:
        if transition.target is None or transition.target.id != target:
            continue
        for event in str(transition.event).split():
            step = lifecycle.steps.get(event)
            labels.append(f"{step.title}\n({event})" if step else event)
    return "\n".join(dict.fromkeys(labels))

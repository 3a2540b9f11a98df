"""The `jingjin` console command."""

import typer

from cli import (
    budget,
    db,
    demo,
    diagram,
    doctor,
    flows_cmd,
    forms_cmd,
    imports,
    items,
    rules_cmd,
    web_cmd,
)
from cli.audit_cmd import app as audit_app
from cli.dates_cmd import closures_app, reports_app
from cli.findings_cmd import findings_command
from cli.operator import JingjinGroup
from cli.reviewers_cmd import app as reviewers_app
from cli.school_targets_cmd import devices_app, workshops_app

app = typer.Typer(
    help="jingjin：推動中小學數位學習精進方案 管考與審核系統",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=JingjinGroup,
)
app.add_typer(db.app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(rules_cmd.app, name="rules")
app.add_typer(imports.schools_app, name="schools")
app.add_typer(imports.products_app, name="products")
app.add_typer(workshops_app, name="workshops")
app.add_typer(devices_app, name="devices")
app.add_typer(budget.app, name="budget")
app.add_typer(forms_cmd.app, name="forms")
app.add_typer(reviewers_app, name="reviewers")
app.add_typer(reports_app, name="reports")
app.add_typer(closures_app, name="closures")
app.command("demo")(demo.demo_command)
flows_cmd.register(app)
app.command("findings")(findings_command)
items.register(app)
app.command("diagram")(diagram.diagram_command)
app.command("web")(web_cmd.web_command)
app.command("doctor")(doctor.doctor_command)

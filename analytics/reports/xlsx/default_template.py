"""The template shipped with the center (``templates/kpi_report.xlsx``), made with openpyxl.

Tenants restyle a copy in Excel or WPS: fonts, fills, number formats, column order, headers
(Chinese or English), logos and extra sheets are theirs; the ``{{...}}`` markers say where
the data goes. Regenerate the shipped file with ``python -m analytics.reports template``.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

TIME, PCT, SEC, INT = "yyyy-mm-dd hh:mm", "0.0%", "0.0", "0"

QUEUE_COLUMNS = (
    ("Interval 时段", "bucket", TIME, 17), ("Queue 队列", "queue", "@", 14),
    ("Offered 呼入", "offered", INT, 10), ("Answered 接听", "answered", INT, 10),
    ("Abandoned 放弃", "abandoned", INT, 10), ("Service level 服务水平", "service_level", PCT, 12),
    ("ASA s 平均应答", "asa_s", SEC, 11), ("AHT s 平均处理", "aht_s", SEC, 11),
    ("Abandon rate 放弃率", "abandonment_rate", PCT, 11),
    ("Transfer rate 转接率", "transfer_rate", PCT, 11),
    ("Longest wait s 最长等待", "longest_wait_s", SEC, 12),
)
AGENT_COLUMNS = (
    ("Rank 排名", "rank", INT, 7), ("Agent 坐席", "agent", "@", 14),
    ("Answered 接听", "answered", INT, 10), ("AHT s 平均处理", "aht_s", SEC, 11),
    ("Talk s 通话", "talk_s", SEC, 11), ("Transfer rate 转接率", "transfer_rate", PCT, 11),
    ("Occupancy 占用率", "occupancy", PCT, 11), ("Utilization 利用率", "utilization", PCT, 11),
    ("Logged in s 登录时长", "logged_in_s", SEC, 12),
)
ABANDON_COLUMNS = (
    ("Interval 时段", "bucket", TIME, 17), ("Queue 队列", "queue", "@", 14),
    ("Offered 呼入", "offered", INT, 10), ("Abandoned 放弃", "abandoned", INT, 10),
    ("Short abandons 短放弃", "short_abandoned", INT, 11),
    ("Abandon rate 放弃率", "abandonment_rate", PCT, 11),
    ("Excl. short 不含短放弃", "abandonment_rate_excl_short", PCT, 12),
    ("Longest wait s 最长等待", "longest_wait_s", SEC, 12),
)
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
TITLE = Font(size=14, bold=True, color="1F4E78")


def _data_sheet(ws: Worksheet, title: str, dataset: str,
                columns: tuple[tuple[str, str, str, int], ...]) -> None:
    ws["A1"] = f"{title} — {{{{report.tenant}}}}"
    ws["A1"].font = TITLE
    ws["A2"] = "{{report.period}} ({{report.timezone}}), {{report.grain}}, " \
               "SL ≤ {{report.sl_threshold_s}} s"
    for i, (header, field, fmt, width) in enumerate(columns, start=1):
        head = ws.cell(row=4, column=i, value=header)
        head.font, head.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center")
        marker = ws.cell(row=5, column=i, value=f"{{{{{dataset}.{field}}}}}")
        marker.number_format = fmt
        ws.column_dimensions[get_column_letter(i)].width = width
    last = get_column_letter(len(columns))
    ws.add_table(Table(displayName=f"{dataset.capitalize()}Data", ref=f"A4:{last}5",
                       tableStyleInfo=TableStyleInfo(name="TableStyleLight9",
                                                     showRowStripes=True)))
    ws.freeze_panes = "A5"


def make_default_template(path: Path) -> None:
    """Write the default template to ``path``."""
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "Report 报表"
    cover["A1"] = "Call center KPI report 呼叫中心 KPI 报表"
    cover["A1"].font = Font(size=18, bold=True, color="1F4E78")
    for row, (label, value) in enumerate((
            ("Tenant 租户", "{{report.tenant}}"), ("Queues 队列", "{{report.queues}}"),
            ("Period 时段", "{{report.period}}"), ("Time zone 时区", "{{report.timezone}}"),
            ("Buckets 粒度", "{{report.grain}}"),
            ("SL threshold 服务水平阈值 (s)", "{{report.sl_threshold_s}}"),
            ("Short abandon 短放弃 (s)", "{{report.short_abandon_s}}"),
            ("Generated 生成时间", "{{report.generated_at}}")), start=3):
        cover.cell(row=row, column=1, value=label).font = Font(bold=True)
        cover.cell(row=row, column=2, value=value)
    cover.column_dimensions["A"].width, cover.column_dimensions["B"].width = 30, 40
    _data_sheet(wb.create_sheet("Queue KPIs 队列指标"), "Queue KPIs per interval", "queue",
                QUEUE_COLUMNS)
    # Service level under 80 %: red, on the data row, so every row of the report gets it.
    wb["Queue KPIs 队列指标"].conditional_formatting.add(
        "F5", CellIsRule(operator="lessThan", formula=["0.8"],  # type: ignore[no-untyped-call]
                         fill=PatternFill("solid", fgColor="F8CBAD")))
    _data_sheet(wb.create_sheet("Agent league 坐席排名"), "Agent league", "agent",
                AGENT_COLUMNS)
    _data_sheet(wb.create_sheet("Abandonment 放弃"), "Abandonment per interval", "abandon",
                ABANDON_COLUMNS)
    about = wb.create_sheet("About 说明")
    for row, line in enumerate((
            "Restyle this workbook freely: fonts, colours, number formats, headers, logos, "
            "extra sheets and charts are kept.",
            "A row of {{queue.<field>}}, {{agent.<field>}} or {{abandon.<field>}} cells is "
            "where the rows go, each cell styled like its marker; keep nothing below it.",
            "{{report.<name>}} markers may sit in any text cell. Defined names "
            "report_queue, report_agent, report_abandon cover the data for charts/formulas.",
            "可自由修改样式、表头、徽标和附加工作表；{{...}} 标记决定数据写入位置。"), start=1):
        about.cell(row=row, column=1, value=line)
    about.column_dimensions["A"].width = 120
    wb.save(path)

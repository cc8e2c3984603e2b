"""The briefing report for a committee: ``kakehashi report`` (issue 5, docs/report.md).

Figures from the indicators → key findings written from them through the
message catalogue → charts (Altair, SVG) and tables → one standalone HTML page
(Jinja2) → PDF (WeasyPrint, Noto Sans CJK JP embedded). Jinja2, Altair,
vl-convert and WeasyPrint are imported only when a report is written.
"""

from kakehashi.report.build import FORMATS, write_report
from kakehashi.report.fonts import DEBIAN_PACKAGE, cjk_font

__all__ = ["DEBIAN_PACKAGE", "FORMATS", "cjk_font", "write_report"]

"""Geometry for the MIS status page's 30-day chart (pure; the SVG template only draws it).

Each day is a column: a bar for the number of changes its successful runs made, and a strip
below coloured by the day's worst outcome (failed, held, succeeded, other, no run).
"""

from dataclasses import dataclass

from misync.selectors import DayActivity

WIDTH, HEIGHT = 640, 230
LEFT, TOP = 48, 24
STEP, BAR = 19, 13
PLOT_HEIGHT = 110
BASELINE = TOP + PLOT_HEIGHT
STRIP_Y, STRIP_HEIGHT = BASELINE + 8, 12
LABEL_Y = STRIP_Y + STRIP_HEIGHT + 16

FILLS = {
    "failed": "#d4351c",
    "held": "#ffdd00",
    "succeeded": "#00703c",
    "other": "#b1b4b6",
    "none": "#f3f2f1",
}
OUTCOME_WORDS = {
    "failed": "a run failed",
    "held": "a run was held",
    "succeeded": "synced",
    "other": "a run did not finish",
    "none": "no run",
}


@dataclass(frozen=True)
class Column:
    x: int
    bar_y: int
    bar_height: int
    fill: str
    label: str  # the date under every 7th column, else ""
    title: str  # the column's tooltip and accessible name


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    columns: tuple[Column, ...]
    max_changes: int
    top: int
    baseline: int
    strip_y: int
    strip_height: int
    label_y: int
    bar_width: int
    left: int
    right: int
    legend_y: int
    legend: tuple[tuple[int, str, str], ...]  # (x, fill, words)
    summary: str


def chart_for(days: list[DayActivity]) -> Chart:
    max_changes = max((d.changes for d in days), default=0)
    columns = []
    for index, day in enumerate(days):
        height = round(day.changes * PLOT_HEIGHT / max_changes) if max_changes else 0
        if day.changes and height < 2:
            height = 2  # a day with a change is always visible
        x = LEFT + index * STEP
        # Every 7th date, counted back from today so the newest day is always labelled.
        label = day.day.strftime("%d/%m") if (len(days) - 1 - index) % 7 == 0 else ""
        if day.runs:
            runs = f"{day.runs} run{'' if day.runs == 1 else 's'}"
            changes = f"{day.changes} change{'' if day.changes == 1 else 's'}"
            title = f"{day.day:%d/%m/%Y}: {runs}, {OUTCOME_WORDS[day.outcome]}, {changes}"
        else:
            title = f"{day.day:%d/%m/%Y}: no run"
        columns.append(
            Column(x=x, bar_y=BASELINE - height, bar_height=height, fill=FILLS[day.outcome], label=label, title=title)
        )
    legend, x = [], LEFT
    for outcome in ("succeeded", "failed", "held", "none"):
        legend.append((x, FILLS[outcome], OUTCOME_WORDS[outcome].capitalize()))
        x += 130
    failed = sum(d.failed for d in days)
    held = sum(d.held for d in days)
    succeeded = sum(d.succeeded for d in days)
    changes = sum(d.changes for d in days)
    summary = (
        f"Last {len(days)} days: {succeeded} successful, {failed} failed and {held} held runs; {changes} changes made."
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        columns=tuple(columns),
        max_changes=max_changes,
        top=TOP,
        baseline=BASELINE,
        strip_y=STRIP_Y,
        strip_height=STRIP_HEIGHT,
        label_y=LABEL_Y,
        bar_width=BAR,
        left=LEFT,
        right=LEFT + len(days) * STEP,
        legend_y=LABEL_Y + 22,
        legend=tuple(legend),
        summary=summary,
    )

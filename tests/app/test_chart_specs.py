"""Every chart the pages draw is a figure Plotly accepts: the pages build theirs without Plotly's validation (for
speed, ui.charts.Draft.build), so it is checked here, on the sample data, for the views a user reaches."""

from __future__ import annotations

import json
from collections.abc import Callable

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

VIEWS: list[dict[str, str | list[str]]] = [
    {},
    {"lines": ["Atlas"]},
    {"granularity": "Week", "vs": "same period last year"},
    {"granularity": "Month"},
    {"granularity": "Year"},
]


@pytest.mark.parametrize("page", ["overview", "business", "customers", "process"])
def test_every_chart_is_a_valid_plotly_figure(app: Callable[..., AppTest], page: str) -> None:
    drawn: list[int] = []
    for query in VIEWS:
        at = app(page=page, query=query)
        assert not at.exception, query
        charts = at.get("plotly_chart")
        drawn.append(len(charts))
        for chart in charts:
            spec = json.loads(chart.proto.spec)
            # raises ValueError naming the property when a trace or the layout holds one Plotly does not know
            figure = go.Figure(spec)
            assert len(figure.data) > 0, (page, query, spec["layout"].get("title"))
    assert drawn[0] >= 1  # the default view draws charts (a yearly view may have no complete year to compare)

"""Tests for ui.charts.Draft: a figure made as plain data is the figure Plotly's own calls make."""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from ui.charts import HOUSE_X_AXIS, HOUSE_Y_AXIS, Draft, axis_name, axis_reference, house_layout


def _json(figure: go.Figure) -> dict[str, Any]:
    return figure.to_plotly_json()  # type: ignore[no-any-return]


def test_a_single_chart_matches_the_same_calls_on_a_plotly_figure() -> None:
    trace = {"type": "scatter", "x": [date(2025, 1, 1), date(2025, 2, 1)], "y": [1.5, 2.0], "name": "A"}
    label = {"x": date(2025, 2, 1), "y": 2.0, "text": "A", "showarrow": False}
    band = {"type": "rect", "x0": 0, "x1": 1, "y0": 0, "y1": 1, "xref": "x", "yref": "y domain"}

    expected = go.Figure()
    expected.add_trace(go.Scatter(trace))
    expected.update_layout(house_layout("Title", 300))
    expected.update_xaxes(HOUSE_X_AXIS)
    expected.update_yaxes(HOUSE_Y_AXIS)
    expected.update_layout(title_subtitle_text="sub", margin={"r": 90})
    expected.update_yaxes(title_text="Value", tickformat="$~s")
    expected.update_layout(annotations=[label], shapes=[band])

    draft = Draft()
    draft.add_trace(trace)
    draft.house("Title", 300)
    # nested settings merge into what is there (the title keeps its text and position), as Plotly's update does
    draft.update_layout(title={"subtitle": {"text": "sub"}}, margin={"r": 90})
    draft.update_yaxes(title={"text": "Value"}, tickformat="$~s")
    draft.add_annotations([label])
    draft.add_shapes([band])
    assert _json(draft.build()) == _json(expected)


def test_a_grid_matches_make_subplots_and_its_panel_calls() -> None:
    titles = ["one", "two", "three", "four", "five"]
    options: dict[str, Any] = {"shared_xaxes": "all", "shared_yaxes": True, "vertical_spacing": 0.12}
    expected = make_subplots(rows=2, cols=3, subplot_titles=titles, **options)
    draft = Draft.grid(2, 3, titles, **options)
    for index in range(len(titles)):
        row, col = index // 3 + 1, index % 3 + 1
        trace = {"type": "scatter", "x": [1, 2], "y": [index, index + 1], "name": titles[index]}
        expected.add_trace(go.Scatter(trace), row=row, col=col)
        draft.add_trace(trace, row=row, col=col)
    expected.update_annotations(font={"size": 12})
    for annotation in draft.layout["annotations"]:
        annotation["font"] = {"size": 12}
    expected.update_yaxes(range=[0, 1], tickformat=".0%")
    draft.update_yaxes(range=[0, 1], tickformat=".0%")
    expected.update_yaxes(title_text="Teams", row=2, col=1)
    draft.update_yaxes(title={"text": "Teams"}, row=2, col=1)
    expected.update_xaxes(showgrid=False)
    draft.update_xaxes(showgrid=False)
    assert _json(draft.build()) == _json(expected)


GRID_OPTIONS: list[dict[str, Any]] = [
    {},
    {"secondary_y": True},
    {"secondary_y": True, "horizontal_spacing": 0.09, "vertical_spacing": 0.16},
    {"shared_xaxes": "all", "shared_yaxes": True, "vertical_spacing": 0.12, "horizontal_spacing": 0.03},
    {"shared_yaxes": True},
    {"shared_xaxes": True},
    {"shared_xaxes": "columns", "shared_yaxes": "rows"},
    {"shared_xaxes": "rows", "shared_yaxes": "columns"},
    {"shared_xaxes": "all", "shared_yaxes": "all"},
    {"secondary_y": True, "shared_xaxes": "all"},
]


GRID_SHAPES = [(1, 1, 1), (1, 3, 3), (2, 2, 3), (3, 4, 10), (5, 4, 20), (4, 1, 0)]


@pytest.mark.parametrize("options", GRID_OPTIONS, ids=lambda options: ",".join(f"{k}={v}" for k, v in options.items()))
@pytest.mark.parametrize(("rows", "cols", "panels"), GRID_SHAPES)
def test_a_grid_is_laid_out_exactly_as_make_subplots_lays_it_out(
    rows: int, cols: int, panels: int, options: dict[str, Any]
) -> None:
    titles = [f"panel {index}" for index in range(panels)]
    specs = {"specs": [[{"secondary_y": True}] * cols] * rows} if options.get("secondary_y") else {}
    plotly_options = {name: value for name, value in options.items() if name != "secondary_y"} | specs
    expected = make_subplots(rows=rows, cols=cols, subplot_titles=titles or None, **plotly_options)
    draft = Draft.grid(rows, cols, titles, **options)
    # exactly the same figure: the same axes, the same floats for every domain and title position
    assert _json(draft.build()) == _json(expected)
    for row in range(1, rows + 1):
        for col in range(1, cols + 1):
            panel = expected.get_subplot(row, col)
            assert draft.axes(row, col) == (
                axis_reference(panel.xaxis.plotly_name),
                axis_reference(panel.yaxis.plotly_name),
            )


def test_a_grid_refuses_spacing_that_leaves_no_room_and_secondary_axes_shared() -> None:
    with pytest.raises(ValueError, match=r"vertical spacing 0\.6 does not fit 3 panels"):
        Draft.grid(3, 1, vertical_spacing=0.6)
    with pytest.raises(ValueError, match="does not share its y axes"):
        Draft.grid(2, 2, secondary_y=True, shared_yaxes=True)
    with pytest.raises(ValueError, match="at least one row"):
        Draft.grid(0, 2)


def test_a_grid_with_secondary_axes_names_them_as_make_subplots_does() -> None:
    specs = [[{"secondary_y": True}] * 2] * 2
    figure = make_subplots(rows=2, cols=2, specs=specs, subplot_titles=["a", "b", "c", "d"])
    draft = Draft.grid(2, 2, ["a", "b", "c", "d"], secondary_y=True)
    for row in (1, 2):
        for col in (1, 2):
            panel, second = figure.get_subplot(row, col), figure.get_subplot(row, col, secondary_y=True)
            assert draft.axes(row, col) == (
                axis_reference(panel.xaxis.plotly_name),
                axis_reference(panel.yaxis.plotly_name),
            )
            assert draft.secondary_axis(row, col) == axis_reference(second.yaxis.plotly_name)
            assert axis_name(draft.secondary_axis(row, col)) == second.yaxis.plotly_name


def test_grids_of_one_shape_share_neither_titles_nor_changes() -> None:
    first = Draft.grid(1, 3, ["a", "b", "c"], shared_yaxes=True)
    first.update_yaxes(title={"text": "changed"})
    first.layout["annotations"][0]["font"] = {"size": 99}
    second = Draft.grid(1, 3, ["x", "y", "z"], shared_yaxes=True)
    assert [annotation["text"] for annotation in second.layout["annotations"]] == ["x", "y", "z"]
    assert second.layout["annotations"][0]["font"] == {"size": 16}
    assert "title" not in second.layout["yaxis"]
    assert [annotation["text"] for annotation in first.layout["annotations"]] == ["a", "b", "c"]


def test_updating_axes_of_a_chart_without_any_creates_the_axis() -> None:
    draft = Draft()
    draft.update_xaxes(side="top")
    draft.update_yaxes({"autorange": "reversed"}, gridcolor="white")
    assert draft.layout == {"xaxis": {"side": "top"}, "yaxis": {"autorange": "reversed", "gridcolor": "white"}}

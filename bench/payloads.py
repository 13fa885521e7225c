"""Sizes of what a page sends: points in a Plotly figure, rows in a table's Arrow data, read from Streamlit's protos."""

from __future__ import annotations

import base64
import json
from typing import Any

import pyarrow.ipc  # type: ignore[import-untyped]
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# Trace attributes whose arrays hold a chart's points (a heatmap's z is counted cell by cell).
POINT_ARRAYS = ("x", "y", "z", "values", "labels", "r", "lat", "lon")
# Byte sizes of the typed-array dtypes Plotly writes as {"dtype": ..., "bdata": base64}.
DTYPE_SIZES = {"i1": 1, "u1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "f4": 4, "i8": 8, "u8": 8, "f8": 8}


def array_length(value: object) -> int:
    """Number of values in a Plotly data array: a list (nested lists counted cell by cell) or a base64 typed array."""
    if isinstance(value, list):
        return sum(array_length(item) if isinstance(item, list | dict) else 1 for item in value)
    if isinstance(value, dict) and "bdata" in value:
        shape = value.get("shape")
        dimensions = shape.split(",") if isinstance(shape, str) and shape else shape
        if isinstance(dimensions, list) and dimensions:
            cells = 1
            for dimension in dimensions:
                cells *= int(dimension)
            return cells
        raw = base64.b64decode(str(value["bdata"]))
        return len(raw) // DTYPE_SIZES.get(str(value.get("dtype", "f8")), 8)
    return 0


def chart_points(spec: str) -> int:
    """Points in one Plotly figure: per trace the longest of its data arrays, summed over traces."""
    figure = json.loads(spec)
    traces = figure.get("data", []) if isinstance(figure, dict) else []
    return sum(max((array_length(trace.get(name)) for name in POINT_ARRAYS), default=0) for trace in traces)


def arrow_rows(data: bytes) -> int:
    """Rows in Arrow IPC stream bytes (0 for none)."""
    if not data:
        return 0
    return int(pyarrow.ipc.open_stream(data).read_all().num_rows)


def table_rows(proto: Any) -> tuple[int, int]:
    """(rows sent with the element, rows of the whole table) of a Dataframe or Table proto.

    A lazily delivered dataframe sends its first chunk only; the browser asks for more rows as it scrolls.
    """
    if hasattr(proto, "lazy_data") and proto.HasField("lazy_data"):
        lazy = proto.lazy_data
        sent = arrow_rows(lazy.initial_chunk.data)
        return sent, int(lazy.row_count) if lazy.row_count else sent
    sent = arrow_rows(proto.arrow_data.data)
    return sent, sent


def message_table_rows(payload: bytes) -> int:
    """Rows a websocket message carries eagerly, when it draws a dataframe or table (0 for any other message)."""
    try:
        message = ForwardMsg.FromString(payload)
    except DecodeError:
        return 0
    if message.WhichOneof("type") != "delta" or message.delta.WhichOneof("type") != "new_element":
        return 0
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    if kind not in {"dataframe", "table"}:
        return 0
    return table_rows(getattr(element, kind))[0]

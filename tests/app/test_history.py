"""History on the Data page (AppTest): the versions after an upload, the diff between two, and a version's rows."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from tests.app.conftest import read_rows
from tests.app.test_upload import NOVEMBER_ARR, metrics_file


def test_versions_diff_and_content_after_an_upload(app: Callable[..., AppTest]) -> None:
    at = app(page="data")
    assert any("never uploaded" in caption.value for caption in at.caption)  # nothing stored yet
    upload = metrics_file([("2026-11-01", line, "arr", str(value)) for line, value in NOVEMBER_ARR.items()])
    at.file_uploader(key="upload_file_metrics").upload("november.csv", upload, "text/csv").run()
    next(button for button in at.button if button.key == "upload_commit").click().run()
    assert not at.exception

    stored = len(read_rows("metrics"))
    versions = at.dataframe[0].value  # the history table comes first once something is stored
    assert versions["version"].tolist() == [0, 1]
    assert versions["mode"].tolist() == ["initial", "append"]
    assert versions["rows"].tolist() == [stored, stored + 5]
    assert versions["file_name"].tolist()[1] == "november.csv"
    summary = " ".join(markdown.value for markdown in at.markdown)
    assert "From version 0 to version 1: **5 added**, **0 changed**, **0 removed**." in summary
    added = at.dataframe[1].value
    assert sorted(zip(added["product_line"], added["value"], strict=True)) == sorted(
        (line, float(value)) for line, value in NOVEMBER_ARR.items()
    )
    assert any(caption.value == f"Version 1: {stored + 5:,} rows" for caption in at.caption)

    at.selectbox(key="history_version").set_value(0).run()
    assert any(caption.value == f"Version 0: {stored:,} rows" for caption in at.caption)
    at.selectbox(key="history_from").set_value(1).run()
    at.selectbox(key="history_to").set_value(0).run()
    summary = " ".join(markdown.value for markdown in at.markdown)
    assert "From version 1 to version 0: **0 added**, **0 changed**, **5 removed**." in summary

"""History on the Data page (AppTest): the versions after an upload, the diff between two, and a version's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamlit.testing.v1 import AppTest

from tests.app.conftest import read_rows
from tests.app.test_upload import NOVEMBER_ARR, metrics_file


def versions_table(at: AppTest) -> Any:  # a pandas frame, as AppTest returns it
    """The history's table of versions (the upload preview's tables may come before it)."""
    return next(frame.value for frame in at.dataframe if "committed_by" in frame.value.columns)


def test_versions_diff_and_content_after_an_upload(app: Callable[..., AppTest]) -> None:
    at = app(page="data")
    assert any("never uploaded" in caption.value for caption in at.caption)  # nothing stored yet
    upload = metrics_file([("2026-11-01", line, "arr", str(value)) for line, value in NOVEMBER_ARR.items()])
    at.file_uploader(key="upload_file_metrics").upload("november.csv", upload, "text/csv").run()
    next(button for button in at.button if button.key == "upload_commit").click().run()
    assert not at.exception

    stored = len(read_rows("metrics"))
    versions = versions_table(at)
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


def test_rollback_and_purge_from_the_data_page(app: Callable[..., AppTest]) -> None:
    at = app(page="data")
    upload = metrics_file([("2026-11-01", line, "arr", str(value)) for line, value in NOVEMBER_ARR.items()])
    at.file_uploader(key="upload_file_metrics").upload("november.csv", upload, "text/csv").run()
    next(button for button in at.button if button.key == "upload_commit").click().run()
    stored = len(read_rows("metrics"))

    at.selectbox(key="history_rollback_to").set_value(0).run()
    next(button for button in at.button if button.key == "history_rollback").click().run()
    assert not at.exception
    assert any("back to version 0 as version 2" in success.value for success in at.success)
    versions = versions_table(at)
    assert versions["mode"].tolist() == ["initial", "append", "rollback"]
    assert versions["rows"].tolist() == [stored, stored + 5, stored]
    # every page shows the rolled-back data: the source card says version 2 with the original row count
    cards = " ".join(markdown.value for markdown in at.markdown)
    assert f"**Version** 2  \n**Rows** {stored:,}" in cards

    purge = next(button for button in at.button if button.key == "history_purge")
    assert purge.disabled  # a purge needs a reason
    at.selectbox(key="history_purge_version").set_value(1).run()
    at.text_input(key="history_purge_reason").input("test rows uploaded by mistake").run()
    next(button for button in at.button if button.key == "history_purge").click().run()
    assert not at.exception
    assert any("Purged the rows version 1 of metrics added" in success.value for success in at.success)
    versions = versions_table(at)
    assert versions["rows"].tolist() == [stored, stored, stored]  # version 1 no longer holds the 5 rows
    purges = next(frame.value for frame in at.dataframe if "purged_by" in frame.value.columns)
    assert purges["reason"].tolist() == ["test rows uploaded by mistake"]
    assert purges["rows_removed"].tolist() == [5]

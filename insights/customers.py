"""Customer signals from the feedback dataset: NPS and its changes, volume, sentiment, themes and verbatims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl

from insights.periods import Granularity, period_start
from insights.scope import rows_between, rows_in_scope

UNTAGGED = "(untagged)"
# Two-sided 95 % confidence: a change counts as significant beyond 1.96 standard errors of the difference.
_Z_95 = 1.96
_PROMOTER_MIN = 9
_DETRACTOR_MAX = 6
_NPS_COUNTS = ("responses", "promoters", "passives", "detractors")
_SENTIMENT_COUNTS = ("positive", "neutral", "negative", "total")
# The product lines (None = all) and the first and last day of the feedback read (``View.scope``).
Scope = tuple[Sequence[str] | None, date, date]
# The Overview's datasets carry the feedback's NPS responses per day and line (daily_feedback_counts' "nps") under
# this name.
DAILY_NPS = "feedback_daily_nps"


def scope_feedback(
    feedback: pl.DataFrame,
    product_lines: Sequence[str] | None,
    start: date | None,
    end: date | None,
) -> pl.DataFrame:
    """The feedback of the selected product lines (None = all) dated in [start, end] (None = open-ended)."""
    return rows_in_scope(feedback, product_lines, start, end)


def nps(feedback: pl.DataFrame, by: Sequence[str] = (), min_responses: int = 30) -> pl.DataFrame:
    """NPS, its response count, the promoter/passive/detractor mix and a low-confidence flag, per group of ``by``."""
    return _nps_of_counts(_nps_counts(feedback, by), by, min_responses)


def _nps_counts(feedback: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    # lazy, so that only the columns the counts read are filtered (not the text of every scored row)
    scored = feedback.lazy().filter(pl.col("nps_score").is_not_null())
    return _aggregate(
        scored,
        by,
        pl.len().cast(pl.Int64).alias("responses"),
        (pl.col("nps_score") >= _PROMOTER_MIN).sum().cast(pl.Int64).alias("promoters"),
        pl.col("nps_score").is_between(_DETRACTOR_MAX + 1, _PROMOTER_MIN - 1).sum().cast(pl.Int64).alias("passives"),
        (pl.col("nps_score") <= _DETRACTOR_MAX).sum().cast(pl.Int64).alias("detractors"),
    )


def nps_of_lines(by_line: pl.DataFrame, product_lines: Sequence[str] | None, min_responses: int = 30) -> pl.DataFrame:
    """``nps_by_period(..., by=())`` of ``product_lines`` (None = all) from ``nps_by_period`` per product line (of every
    line): the responses, promoters, passives and detractors summed over those lines, NPS and shares from the sums."""
    rows = rows_in_scope(by_line, product_lines, None, None)
    counts = _aggregate(rows, ("period_start",), pl.col(_NPS_COUNTS).sum())
    return _nps_of_counts(counts, ("period_start",), min_responses)


def _nps_of_counts(counts: pl.DataFrame, by: Sequence[str], min_responses: int) -> pl.DataFrame:
    # NPS, the mix and the low-confidence flag from the response counts of each group
    return counts.select(
        *by,
        "responses",
        "promoters",
        "passives",
        "detractors",
        _share_of_responses(100.0 * (pl.col("promoters") - pl.col("detractors"))).alias("nps"),
        _share_of_responses(pl.col("promoters")).alias("promoter_share"),
        _share_of_responses(pl.col("passives")).alias("passive_share"),
        _share_of_responses(pl.col("detractors")).alias("detractor_share"),
        (pl.col("responses") < min_responses).alias("low_confidence"),
    )


def nps_standard_error(
    nps_value: pl.Expr,
    promoter_share: pl.Expr,
    detractor_share: pl.Expr,
    responses: pl.Expr,
) -> pl.Expr:
    """Standard error of an NPS, in NPS points: 100·sqrt(((p + d) − (p − d)²) / n); null without responses."""
    net_share = nps_value / 100.0
    # (p + d) ≥ (p − d)² always holds; the clip only absorbs floating-point noise around 0.
    variance = ((promoter_share + detractor_share) - net_share**2).clip(lower_bound=0.0)
    return pl.when(responses > 0).then(100.0 * (variance / responses).sqrt()).otherwise(None)


def nps_by_period(
    feedback: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
    by: Sequence[str] = ("product_line",),
    min_responses: int = 30,
) -> pl.DataFrame:
    """NPS per group of ``by`` and per period (``period_start`` comes after the ``by`` columns), sorted."""
    with_period = feedback.with_columns(
        period_start(pl.col("date"), granularity, fiscal_year_start_month).alias("period_start"),
    )
    return nps(with_period, by=(*by, "period_start"), min_responses=min_responses)


def nps_change(current: pl.DataFrame, previous: pl.DataFrame, on: Sequence[str], z: float = _Z_95) -> pl.DataFrame:
    """Two ``nps()`` results side by side: the change in points and whether it is beyond ``z`` standard errors."""
    carried = ["nps", "responses", "promoter_share", "detractor_share", "low_confidence"]
    previous_renamed = previous.select(*on, *carried).rename({column: f"previous_{column}" for column in carried})
    current_selected = current.select(*on, *carried)
    # A group seen in only one of the periods still shows, with no responses on the other side.
    joined = (
        current_selected.join(previous_renamed, on=list(on), how="full", coalesce=True, nulls_equal=True)
        if on
        else current_selected.join(previous_renamed, how="cross")
    )
    current_error = nps_standard_error(
        pl.col("nps"), pl.col("promoter_share"), pl.col("detractor_share"), pl.col("responses")
    )
    previous_error = nps_standard_error(
        pl.col("previous_nps"),
        pl.col("previous_promoter_share"),
        pl.col("previous_detractor_share"),
        pl.col("previous_responses"),
    )
    changes = (
        joined.with_columns(
            pl.col("responses").fill_null(0),
            pl.col("previous_responses").fill_null(0),
            (pl.col("nps") - pl.col("previous_nps")).alias("delta"),
            (current_error**2 + previous_error**2).sqrt().alias("delta_error"),
        )
        .with_columns(
            (
                (pl.col("responses") >= 1)
                & (pl.col("previous_responses") >= 1)
                & (pl.col("delta").abs() > z * pl.col("delta_error"))
            )
            .fill_null(False)
            .alias("significant"),
            (pl.col("low_confidence").fill_null(True) | pl.col("previous_low_confidence").fill_null(True)).alias(
                "low_confidence"
            ),
        )
        .select(
            *on,
            "nps",
            "responses",
            "previous_nps",
            "previous_responses",
            "delta",
            "significant",
            "low_confidence",
        )
    )
    return changes.sort(*on, nulls_last=True) if on else changes


def feedback_volume(feedback: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Mentions per group of ``by`` and their share of all rows, largest first."""
    return _volume_shares(_aggregate(feedback, by, pl.len().cast(pl.Int64).alias("mentions")), by)


def volume_of_lines(by_line: pl.DataFrame, product_lines: Sequence[str] | None, by: Sequence[str]) -> pl.DataFrame:
    """``feedback_volume(..., by)`` of ``product_lines`` (None = all) from ``feedback_volume`` by product line and
    ``by`` (of every line): the mentions summed over those lines, the shares of their sum."""
    rows = rows_in_scope(by_line, product_lines, None, None)
    return _volume_shares(_aggregate(rows, by, pl.col("mentions").sum().cast(pl.Int64)), by)


def _volume_shares(counts: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    total_mentions = pl.col("mentions").sum()
    return counts.with_columns(
        pl.when(total_mentions > 0).then(pl.col("mentions") / total_mentions).otherwise(None).alias("share"),
    ).sort(
        "mentions",
        *by,
        descending=[True, *[False] * len(by)],
        nulls_last=True,
    )


def sentiment_mix(feedback: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Positive, neutral, negative and unknown counts per group of ``by``, with the negative share."""
    return _sentiment_of_counts(_sentiment_counts(feedback, by), by)


def _sentiment_counts(feedback: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    return _aggregate(
        feedback,
        by,
        (pl.col("sentiment") == "positive").sum().cast(pl.Int64).alias("positive"),
        (pl.col("sentiment") == "neutral").sum().cast(pl.Int64).alias("neutral"),
        (pl.col("sentiment") == "negative").sum().cast(pl.Int64).alias("negative"),
        pl.len().cast(pl.Int64).alias("total"),
    )


def _sentiment_of_counts(counts: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    with_sentiment = pl.col("positive") + pl.col("neutral") + pl.col("negative")
    return counts.select(
        *by,
        "positive",
        "neutral",
        "negative",
        # Anything without one of the three sentiments (null, or a value the contract would reject) is unknown.
        (pl.col("total") - with_sentiment).alias("unknown"),
        "total",
        _negative_share(pl.col("negative"), with_sentiment).alias("negative_share"),
    )


def theme_ranking(feedback: pl.DataFrame) -> pl.DataFrame:
    """Each theme's mentions, negative mentions, accounts and the ARR behind it, ranked by volume and by ARR."""
    # One pass groups the rows by theme and account (a null account is a group of its own); themes add those groups
    # up, count the accounts among them, and add up the latest ARR of each account once per theme.
    per_account = (
        feedback.lazy()
        .select("theme", "account", "sentiment")
        .with_columns(_theme_or_untagged(feedback))
        .group_by("theme", "account")
        .agg(*_mention_counts())
        .join(_latest_account_arr(feedback).lazy(), on="account", how="left")
    )
    counts = per_account.group_by("theme").agg(
        pl.col("mentions", "negative", "with_sentiment").sum(),
        pl.col("account").is_not_null().sum().cast(pl.Int64).alias("accounts"),
    )
    arr_by_theme = per_account.group_by("theme").agg(pl.col("latest_arr").sum().alias("arr"))
    return _ranked_themes(counts.join(arr_by_theme, on="theme", how="left"))


# The columns of theme_mention_order, one value per feedback row.
MENTION_ORDER = ("theme_account_before", "account_arr_after")


def theme_mention_order(feedback: pl.DataFrame) -> pl.DataFrame:
    """Where each feedback row stands among its account's rows (``MENTION_ORDER``, one row per feedback row, in its
    order), for ``theme_ranking_between``:

    - ``theme_account_before``: the date of the account's previous mention of the same theme (null: none before; a
      row without an account: its own date), so that a date range's first mention of each theme and account is the
      row whose previous one lies before the range;
    - ``account_arr_after``: the date of the account's next row with an ARR (null: none after; a row without an
      account or ARR: its own date), so that a range's last such row — the account's latest ARR — is the row whose next
      one lies after the range.

    Rows are taken in the order of their date, then ARR, as ``theme_ranking`` takes them (a same-day tie: the larger
    ARR is the latest).
    """
    known = pl.col("account").is_not_null() & pl.col("account_arr").is_not_null()
    return (
        feedback.lazy()
        .select("date", _theme_or_untagged(feedback), "account", "account_arr")
        .with_row_index("row")
        .sort("date", "account_arr", maintain_order=True)
        .with_columns(
            pl.when(pl.col("account").is_not_null())
            .then(pl.col("date").shift(1).over("theme", "account"))
            .otherwise(pl.col("date"))
            .alias("theme_account_before"),
            pl.when(known)
            # the next row's date among the account's rows with an ARR: a null for each row without one, filled from
            # the rows after it
            .then(pl.when(known).then(pl.col("date")).shift(-1).fill_null(strategy="backward").over("account"))
            .otherwise(pl.col("date"))
            .alias("account_arr_after"),
        )
        .sort("row")
        .select(MENTION_ORDER)
        .collect()
    )


def theme_ranking_between(feedback: pl.DataFrame, order: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """``theme_ranking`` of the feedback dated in [start, end], read with ``order`` (``theme_mention_order`` of the
    same rows): each theme's first mention by each account in the range and each account's latest ARR are picked out
    by a filter instead of grouping the range's rows by theme and account (a year of a million rows: 45 → 9 ms)."""
    rows = rows_between(
        feedback.select("date", "theme", "account", "account_arr", "sentiment").hstack(order), start, end
    )
    mentions = rows.lazy().with_columns(_theme_or_untagged(feedback))
    counts = mentions.group_by("theme").agg(*_mention_counts())
    first_mentions = mentions.filter(
        pl.col("theme_account_before").is_null() | (pl.col("theme_account_before") < start)
    ).select("theme", "account")
    latest_arr = mentions.filter(pl.col("account_arr_after").is_null() | (pl.col("account_arr_after") > end)).select(
        "account", pl.col("account_arr").alias("latest_arr")
    )
    accounts = (
        first_mentions.join(latest_arr, on="account", how="left")
        .group_by("theme")
        .agg(pl.len().cast(pl.Int64).alias("accounts"), pl.col("latest_arr").sum().alias("arr"))
    )
    return _ranked_themes(counts.join(accounts, on="theme", how="left"))


def _mention_counts() -> tuple[pl.Expr, ...]:
    return (
        pl.len().cast(pl.Int64).alias("mentions"),
        (pl.col("sentiment") == "negative").sum().cast(pl.Int64).alias("negative"),
        pl.col("sentiment").is_in(["positive", "neutral", "negative"]).sum().cast(pl.Int64).alias("with_sentiment"),
    )


def _ranked_themes(counts: pl.LazyFrame) -> pl.DataFrame:
    # counts: per theme, mentions, negative, with_sentiment, accounts and arr (null: none)
    return (
        counts.collect()
        .with_columns(
            _theme_as_text(),
            pl.col("accounts").fill_null(0),
            pl.col("arr").fill_null(0.0),
            _negative_share(pl.col("negative"), pl.col("with_sentiment")).alias("negative_share"),
        )
        .sort(pl.col("arr"), pl.col("theme"), descending=[True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank_arr"))
        .sort(pl.col("mentions"), pl.col("theme"), descending=[True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank_volume"))
        .select("theme", "mentions", "negative", "negative_share", "accounts", "arr", "rank_volume", "rank_arr")
    )


def theme_trend(
    feedback: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
    themes: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Mentions per theme per period, with 0 for a period in the data where the theme was not raised."""
    # Lazy until here, so that only the two columns read are filtered (not the text and the rest of each row).
    mentions = (
        feedback.lazy()
        .select("theme", "date")
        .filter(pl.col("date").is_not_null())
        .group_by(
            _theme_or_untagged(feedback),
            period_start(pl.col("date"), granularity, fiscal_year_start_month).alias("period_start"),
        )
        .agg(pl.len().cast(pl.Int64).alias("mentions"))
        .collect()
    )
    return _trend_of_mentions(mentions, themes)


def _trend_of_mentions(mentions: pl.DataFrame, themes: Sequence[str] | None) -> pl.DataFrame:
    # mentions: per theme (compact or text) and period_start, of the periods with feedback
    mentions = mentions.with_columns(_theme_as_text())
    # The periods come from all the feedback, so a theme's line has its zeros even where only other themes spoke.
    periods = mentions.select("period_start").unique()
    theme_names = (
        mentions.select("theme").unique()
        if themes is None
        else pl.DataFrame({"theme": list(themes)}, schema={"theme": pl.String}).unique()
    )
    return (
        theme_names.join(periods, how="cross")
        .join(mentions, on=["theme", "period_start"], how="left")
        .with_columns(pl.col("mentions").fill_null(0))
        .sort("theme", "period_start")
    )


def top_negative_theme(feedback: pl.DataFrame, by: Sequence[str] = ("product_line",)) -> pl.DataFrame:
    """Per group of ``by``, the theme with the most negative mentions (ties: by name); groups with none are absent."""
    negative_counts = (
        feedback.lazy()
        .filter(pl.col("sentiment") == "negative")
        .with_columns(_theme_or_untagged(feedback))
        .group_by(*by, "theme")
        .agg(pl.len().cast(pl.Int64).alias("negative"))
        .with_columns(_theme_as_text())
        .sort(
            *by,
            "negative",
            "theme",
            descending=[*[False] * len(by), True, False],
            nulls_last=True,
        )
        .collect()
    )
    if not by:
        return negative_counts.head(1)
    return negative_counts.filter(pl.int_range(pl.len()).over(*by) == 0)


def verbatims(feedback: pl.DataFrame, search: str | None, limit: int | None = None) -> pl.DataFrame:
    """Feedback whose text, theme or account contains ``search`` (case-insensitive, literal), newest first."""
    return newest_first(matching_feedback(feedback, search), limit)


def matching_feedback(feedback: pl.DataFrame, search: str | None) -> pl.DataFrame:
    """Feedback whose text, theme or account contains ``search`` (case-insensitive, literal), in its order."""
    needle = (search or "").strip().lower()
    if not needle:
        return feedback
    return feedback.filter(
        pl.any_horizontal(
            pl.col(column).cast(pl.String).str.to_lowercase().str.contains(needle, literal=True).fill_null(False)
            for column in ("text", "theme", "account")
        )
    )


def newest_first(feedback: pl.DataFrame, limit: int | None = None) -> pl.DataFrame:
    """The rows newest first (rows of the same day in their order, undated ones last), the first ``limit`` of them."""
    dates = feedback.get_column("date")
    if limit is not None and feedback.height > limit and dates.flags["SORTED_ASC"] and dates.null_count() == 0:
        # Rows kept in date order: the newest ``limit`` lie in the tail from the first row of the day the limit falls
        # on; only that tail is sorted (the whole of a year of feedback took 35 ms).
        boundary = dates[feedback.height - limit]
        feedback = feedback.slice(int(dates.search_sorted(boundary, side="left")))
    ordered = feedback.sort("date", descending=True, nulls_last=True, maintain_order=True)
    return ordered if limit is None else ordered.head(limit)


# --- counts per day -------------------------------------------------------------------------------------------------
# A date range's NPS per period, volumes, sentiment and theme mentions are sums of its days' counts: the same numbers
# as counting its rows, summed from tens of thousands of rows (days × lines × ...) instead of up to a million.

# The tables of daily_feedback_counts, each with a date and a product line.
DAILY_COUNTS = ("nps", "channel", "category", "sentiment", "themes")


def daily_feedback_counts(feedback: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The feedback counted per day and product line (``DAILY_COUNTS``): NPS responses, mentions per channel and per
    category, sentiment, and mentions per theme (untagged as ``UNTAGGED``). Rows without a date are counted under a
    null date, which no range holds."""
    by_line = ("date", "product_line")
    return {
        "nps": _nps_counts(feedback, by_line),
        "channel": _aggregate(feedback, (*by_line, "channel"), pl.len().cast(pl.Int64).alias("mentions")),
        "category": _aggregate(feedback, (*by_line, "category"), pl.len().cast(pl.Int64).alias("mentions")),
        "sentiment": _sentiment_counts(feedback, by_line),
        "themes": _aggregate(
            feedback.lazy().select(*by_line, _theme_or_untagged(feedback)),
            (*by_line, "theme"),
            pl.len().cast(pl.Int64).alias("mentions"),
        ),
    }


def nps_of_days(
    nps_days: pl.DataFrame, scope: Scope, by: Sequence[str] = ("product_line",), min_responses: int = 30
) -> pl.DataFrame:
    """``nps(..., by)`` of the feedback in ``scope`` (product lines, None = all; first and last day), from its NPS
    responses per day (``daily_feedback_counts(...)["nps"]``); ``by``: ``product_line`` or nothing."""
    counts = _aggregate(rows_in_scope(nps_days, *scope), by, pl.col(_NPS_COUNTS).sum())
    return _nps_of_counts(counts, by, min_responses)


def nps_by_period_of_days(
    nps_days: pl.DataFrame,
    scope: Scope,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
    by: Sequence[str] = ("product_line",),
    min_responses: int = 30,
) -> pl.DataFrame:
    """``nps_by_period`` of the feedback in ``scope`` (product lines, None = all; first and last day), from its NPS
    responses per day (``daily_feedback_counts(...)["nps"]``)."""
    in_scope = (
        rows_in_scope(nps_days, *scope)
        .lazy()
        .with_columns(period_start(pl.col("date"), granularity, fiscal_year_start_month).alias("period_start"))
    )
    keys = (*by, "period_start")
    return _nps_of_counts(_aggregate(in_scope, keys, pl.col(_NPS_COUNTS).sum()), keys, min_responses)


def nps_in(
    feedback: pl.DataFrame,
    nps_days: pl.DataFrame | None,
    scope: Scope,
    by: Sequence[str] = ("product_line",),
    min_responses: int = 30,
) -> pl.DataFrame:
    """``nps(..., by)`` of the feedback in ``scope``: summed from its NPS responses per day when given (``nps_days``,
    of every line), else counted from ``feedback``'s rows — the same numbers."""
    if nps_days is None:
        return nps(scope_feedback(feedback, *scope), by, min_responses)
    return nps_of_days(nps_days, scope, by, min_responses)


def nps_by_period_in(
    feedback: pl.DataFrame,
    nps_days: pl.DataFrame | None,
    scope: Scope,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
    by: Sequence[str] = ("product_line",),
    min_responses: int = 30,
) -> pl.DataFrame:
    """``nps_by_period`` of the feedback in ``scope``, as ``nps_in``: from ``nps_days`` when given, else ``feedback``'s
    rows."""
    if nps_days is None:
        return nps_by_period(scope_feedback(feedback, *scope), granularity, fiscal_year_start_month, by, min_responses)
    return nps_by_period_of_days(nps_days, scope, granularity, fiscal_year_start_month, by, min_responses)


def volume_of_days(days: Mapping[str, pl.DataFrame], scope: Scope, by: Sequence[str]) -> pl.DataFrame:
    """``feedback_volume(..., by)`` of the feedback in ``scope`` (product lines, first and last day), from its
    ``daily_feedback_counts``; ``by`` holds ``channel`` or ``category``, and may hold ``product_line``."""
    table = "channel" if "channel" in by else "category"
    counts = _aggregate(rows_in_scope(days[table], *scope), by, pl.col("mentions").sum().cast(pl.Int64))
    return _volume_shares(counts, by)


def sentiment_mix_of_days(days: Mapping[str, pl.DataFrame], scope: Scope, by: Sequence[str]) -> pl.DataFrame:
    """``sentiment_mix(..., by)`` of the feedback in ``scope`` (product lines, first and last day), from its
    ``daily_feedback_counts``; ``by``: ``product_line`` or nothing."""
    counts = _aggregate(rows_in_scope(days["sentiment"], *scope), by, pl.col(_SENTIMENT_COUNTS).sum())
    return _sentiment_of_counts(counts, by)


def theme_trend_of_days(
    days: Mapping[str, pl.DataFrame],
    scope: Scope,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
    themes: Sequence[str] | None = None,
) -> pl.DataFrame:
    """``theme_trend`` of the feedback in ``scope`` (product lines, first and last day), from its
    ``daily_feedback_counts``."""
    mentions = (
        rows_in_scope(days["themes"], *scope)
        .lazy()
        .group_by("theme", period_start(pl.col("date"), granularity, fiscal_year_start_month).alias("period_start"))
        .agg(pl.col("mentions").sum().cast(pl.Int64))
        .collect()
    )
    return _trend_of_mentions(mentions, themes)


def _aggregate(frame: pl.DataFrame | pl.LazyFrame, by: Sequence[str], *aggregations: pl.Expr) -> pl.DataFrame:
    # With no grouping columns the whole frame is one group, so an empty frame still yields its one row of zeros.
    # Lazy: only the columns the aggregations read are touched.
    if not by:
        return frame.lazy().select(*aggregations).collect()
    return frame.lazy().group_by(*by).agg(*aggregations).sort(*by, nulls_last=True).collect()


def _share_of_responses(count: pl.Expr) -> pl.Expr:
    return pl.when(pl.col("responses") > 0).then(count / pl.col("responses")).otherwise(None)


def _negative_share(negative: pl.Expr, with_sentiment: pl.Expr) -> pl.Expr:
    return pl.when(with_sentiment > 0).then(negative / with_sentiment).otherwise(None)


def _theme_or_untagged(feedback: pl.DataFrame) -> pl.Expr:
    # A compact (Categorical) theme stays one while rows are grouped: text for every row would be copied first. The
    # results give it back as text (_theme_as_text), so they join with themes given as text.
    if feedback.schema.get("theme") == pl.Categorical:
        return pl.col("theme").fill_null(pl.lit(UNTAGGED, dtype=pl.Categorical)).alias("theme")
    return pl.col("theme").cast(pl.String).fill_null(UNTAGGED).alias("theme")


def _theme_as_text() -> pl.Expr:
    return pl.col("theme").cast(pl.String)


def _latest_account_arr(feedback: pl.DataFrame) -> pl.DataFrame:
    # An account's ARR is the one on its latest feedback row (any theme); on a same-day tie the larger ARR wins.
    return (
        feedback.lazy()
        .filter(
            pl.col("account").is_not_null(),
            pl.col("account_arr").is_not_null(),
        )
        .group_by("account")
        .agg(pl.col("account_arr").sort_by("date", "account_arr").last().alias("latest_arr"))
        .collect()
    )

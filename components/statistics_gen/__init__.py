"""StatisticsGen: Examples -> per-split TFDV statistics (`Split-<name>/FeatureStats.pb`).
`report.render_html` renders statistics, schema and anomalies artifacts as HTML."""

from tfxkit.components.statistics_gen.component import StatisticsGen

__all__ = ["StatisticsGen"]

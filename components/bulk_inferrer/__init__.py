"""BulkInferrer component: batch predictions of a model on Examples, as PredictionLog records."""

from tfxkit.components.bulk_inferrer.component import BulkInferrer

__all__ = ["BulkInferrer"]

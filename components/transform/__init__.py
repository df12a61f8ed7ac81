"""Transform component: tf.Transform feature engineering on Beam."""

from tfxkit.components.transform.component import Transform

__all__ = ["Transform"]

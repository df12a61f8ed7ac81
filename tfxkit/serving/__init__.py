"""Online and batch prediction for pushed models.

`tfxkit serve DESTINATION` (`tfxkit.serving.server.serve`) speaks TF Serving's REST API over the
versions at a push destination; `tfxkit predict` (`tfxkit.serving.batch.predict_files`) scores
CSV files with a pushed version and writes TFX's PredictionLog records. Importing this package
imports neither TensorFlow nor the HTTP stack.
"""

__all__: list[str] = []

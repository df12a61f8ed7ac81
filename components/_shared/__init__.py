"""Helpers shared by the model components (Transform, Trainer, Evaluator, Pusher).

Private to `tfxkit.components`: loading user code with errors that name the user's file and line,
building a Beam pipeline from the runner's `beam_pipeline_args`, and split file patterns. Nothing
here imports TensorFlow or Beam at module level.
"""

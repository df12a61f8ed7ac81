"""Building blocks for user step modules (preprocessing_fn, run_fn). They import TensorFlow when
called, so they belong in user code that runs inside executors, never in pipeline definitions."""

"""One module per step, each owned by one person (see CODEOWNERS):

- data.py           data ingestion and validation settings
- preprocessing.py  `preprocessing_fn` (tf.Transform)
- model.py          `run_fn` (Keras training)
- evaluation.py     TFMA eval config and blessing thresholds
"""

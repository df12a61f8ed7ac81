"""One module per step, each with its settings and code, owned by one person (see CODEOWNERS):

- data.py           DataSettings: data ingestion, split and validation
- preprocessing.py  PreprocessingSettings and `preprocessing_fn` (tf.Transform)
- model.py          ModelSettings and `run_fn` (Keras training)
- evaluation.py     EvaluationSettings and the TFMA eval config with its blessing thresholds
"""

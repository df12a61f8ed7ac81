"""The hostile-input table, one module per kind of fault; tests/test_hostile_input.py runs them all.

Each module exports `CASES`: (case name, make(root) -> callable that must fail, regex the message
must match). Add a case to the module of its kind; test_hostile_input.py lists the modules.
"""

"""The pure core: every sync decision, as functions from plain values to plain values.

Modules here import only the standard library, ``syncd.core`` and ``syncd.errors``. They do no
I/O, read no clock (times come in as arguments) and do not log: they return data that the shell
(jobs, gateway, storage) performs and records. The listings planner lives in ``listing``
(value types), ``plan`` (``make_plan``; its values are in ``actions``), ``reconcile``,
``quantity``, ``ownership``, ``adoption``, ``guards``, ``batches`` and ``simulate``.
"""

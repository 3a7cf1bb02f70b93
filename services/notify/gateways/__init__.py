"""Notify's gateway adapters: one protocol (``base.Gateway``), one module per gateway software.

Adapters do I/O; they never decide *whether* to send (that is notify's domain). Each returns a
``SendResult`` and classifies failures as transient (retry, fail over) or permanent (do not retry).
"""

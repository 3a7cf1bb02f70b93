"""Notify's pure domain: who can be reached how (directory, numbers), what a message says (templates,
sms, classified, fax_pdf), what state it is in (state), when to send, retry or stop (policy, acks),
and meeting/activity notices (notices). No I/O, no clock: time is always passed in."""

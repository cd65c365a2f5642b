"""The embedded local stack: moto as the AWS of this machine, plus the few shims moto needs.

Not deployed (Chalice packages only app.py and chalicelib/).
"""

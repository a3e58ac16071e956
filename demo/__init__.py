"""Demo data (`manage.py load_demo`, `make demo`): courses, accounts, coupon rules and records.

It sits above the apps it fills (course, pay): nothing in them imports it.
"""

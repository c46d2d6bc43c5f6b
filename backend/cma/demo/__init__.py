"""Demo and generated data: the demo catalogue (`cma seed`), an export of the old site
(`cma generate-legacy`) and crowds of applicants for the allocation's tests and benchmark.

Above the contexts, it writes through their services and tables as a test would. Its literal
data is in data/ (package data); faker, which it alone uses, is the `demo` extra (`fake`).
"""

"""Only what pyproject.toml cannot say: the engine's optional C extension (worker/analysis/_fast.c).

It is optional: where no C compiler is available the install still succeeds and the engine uses its pure-Python
twin (worker/analysis/fastpath.py), same output, slower.
"""

import sys

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "worker.analysis._fast",
            ["worker/analysis/_fast.c"],
            optional=True,
            extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
        )
    ]
)

"""Published numbers the suites show beside ours, read from data files.

Each table is a CSV file in ``skrobustad/benchmark/papers/``: ``#`` lines
say where the numbers come from, then a header and one line per row. Adding
a paper's table is adding a file; no number lives in the code.
"""

import csv
import io
from importlib import resources


def read_table(name):
    """``(header, rows)`` of ``papers/<name>.csv``, comment lines skipped.

    Parameters
    ----------
    name : str
        File stem (``"iad_table2"``).

    Returns
    -------
    header : list of str
    rows : list of list of str
    """
    text = resources.files(__package__).joinpath("papers", f"{name}.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header, *rows = csv.reader(io.StringIO("\n".join(lines)))
    return header, rows

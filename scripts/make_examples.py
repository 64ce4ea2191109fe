"""Regenerate examples/: returned workbooks for the README's Quick start.

python scripts/make_examples.py
"""

from pathlib import Path

from msp_assessment.examples import write_examples

if __name__ == "__main__":
    for path in write_examples(Path(__file__).parents[1] / "examples"):
        print(path.name)

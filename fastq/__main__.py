"""``python -m fastq``: the ``fastq`` command line."""
from .cli import main

raise SystemExit(main())

"""gunicorn settings for the benchmarks (bench/common.py's Gunicorn passes `-c` this file).

bench/ is appended to sys.path (not prepended, so its modules never shadow others) for
`DJANGO_SETTINGS_MODULE=ping_settings`, the project plus the bench-only GET /api/ping/.
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))

accesslog = None

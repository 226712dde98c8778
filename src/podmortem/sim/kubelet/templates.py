"""Log line templates: `{{name}}` placeholders and the timestamp formats of the runtimes.

Pure functions. Imports no other module of the kubelet package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def template(text: str, values: Mapping[str, str]) -> str:
    if "{{" not in text:
        return text
    return re.sub(r"\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), text)


def time_values(t: float) -> dict[str, str]:
    import time as _t

    whole = int(t)
    ms = int((t - whole) * 1000)
    g = _t.gmtime(whole)
    return {
        "gots": _t.strftime("%Y/%m/%d %H:%M:%S", g),
        "pyts": _t.strftime("%Y-%m-%d %H:%M:%S", g) + f",{ms:03d}",
        "iso": _t.strftime("%Y-%m-%dT%H:%M:%S", g) + f".{ms:03d}Z",
        "clf": _t.strftime("%d/%b/%Y:%H:%M:%S +0000", g),
        "redis": _t.strftime("%d %b %Y %H:%M:%S", g) + f".{ms:03d}",  # server.c serverLogRaw
        "pgts": _t.strftime("%Y-%m-%d %H:%M:%S", g) + f".{ms:03d} UTC",  # log_line_prefix '%m [%p] '
        "mysqlts": _t.strftime("%Y-%m-%d %H:%M:%S", g) + "+00:00",  # docker-entrypoint.sh mysql_log
    }

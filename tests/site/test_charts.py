"""The bench charts: bars of one measure share one scale, and each carries its value."""

from __future__ import annotations

import json
import re
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from charts import size_charts

from image_bench.report import size_text

BAR = re.compile(r'<rect x="0" y="[\d.]+" width="([\d.]+)"')


def test_size_bars_share_one_scale_across_the_cpu_and_gpu_charts():
    figures = json.loads((ROOT / "docs" / "_data" / "bench.json").read_text(encoding="utf-8"))
    markup = size_charts(figures)
    widths = [float(w) for w in BAR.findall(markup)]
    values = [
        figures[t][k]["size_bytes"] if k != "floor" else figures[t]["floor"]["floor_bytes"]
        for t in ("cpu", "gpu")
        for k in ("seed-style", "ours", "floor")
    ]
    assert len(widths) == len(values) == 6
    ratios = [w / v for w, v in zip(widths, values, strict=True)]
    assert max(ratios) / min(ratios) < 1.01, ratios  # px per byte is the same for every bar (to rounding)
    for value in values:  # every bar says its value
        assert size_text(value) in markup

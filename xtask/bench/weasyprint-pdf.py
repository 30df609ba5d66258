"""Prints statement HTML to PDF with WeasyPrint, for `cargo xtask bench`.

    python weasyprint-pdf.py <html> <runs> <pdf>

Imports WeasyPrint once, then renders the page `runs` times, timing each.
Prints one JSON line: WeasyPrint's version, the wall-clock and CPU times,
the PDF's size and the process's peak resident memory.
"""

import json
import resource
import sys
import time

import weasyprint


def main() -> None:
    html_path, runs, pdf_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    times, cpu = [], []
    pdf = b""
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf = weasyprint.HTML(string=html).write_pdf()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    with open(pdf_path, "wb") as f:
        f.write(pdf)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({
        "version": f"WeasyPrint {weasyprint.__version__}",
        "times_ms": times,
        "cpu_ms": cpu,
        "pdf_bytes": len(pdf),
        "peak_rss_kib": peak,
    }))


if __name__ == "__main__":
    main()

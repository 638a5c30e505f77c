"""Periodic products (seed §38/§41: 一周一观察、一月一分析、一季一通报、一年一考核).

- `periods` — which period a product covers, parsed from "2026-W47", "2026-11", "2026-Q3", "2026".
- `builders` — live data → snapshot (a JSON document holding every number, table and chart the renderers need).
- `html`, `docx`, `xlsx` — snapshot → web page, Word document (GB/T 9704 layout), Excel workbook. They read the
  snapshot only, never the database: that is what keeps a published product the same forever.
- `services` — generate, submit for review, publish, correct (the product's lifecycle, one function each).
"""

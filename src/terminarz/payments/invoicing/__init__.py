"""Invoice documents for paid visits (H9): pure functions, no database.

One plain input, `document.InvoiceData` (the number comes from the caller, who keeps the
per-provider, per-year numbering without gaps), and two renderings of it:

- `fa3.fa3_xml` – the structured e-invoice in the KSeF FA(3) schema (built with the
  `ksef-client` library's FA(3) documents), ready for a KSeF sending adapter;
- `pdf.invoice_pdf` – the A4 invoice in Polish for the patient (fpdf2, DejaVu Sans).

Amounts are `Decimal` throughout; the VAT of each rate is computed from the gross value of
that rate (art. 106e ust. 7 i 8 ustawy o VAT), since visit prices are gross prices. Medical
services are VAT-exempt ("zw", art. 43 ust. 1 pkt 18 ustawy o VAT) by default.
"""

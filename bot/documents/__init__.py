"""Files people print or open: the XLSX and PDF reports, the chart and the invite sheet."""

"""Lending pages: loans, postings, the commune transaction day, reversals, periods, import."""

urlpatterns = []

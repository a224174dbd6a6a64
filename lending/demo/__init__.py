"""The Quảng Ninh demo district."""

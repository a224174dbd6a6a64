"""Reference data of the Quảng Ninh district (Quảng Bình province)."""

# (code, name, kind, transaction day)
COMMUNES = [
    ("QN01", "Quán Hàu", "thi_tran", 5),
    ("QN02", "An Ninh", "xa", 8),
    ("QN03", "Duy Ninh", "xa", 10),
    ("QN04", "Gia Ninh", "xa", 12),
    ("QN05", "Hải Ninh", "xa", 14),
    ("QN06", "Hàm Ninh", "xa", 16),
    ("QN07", "Hiền Ninh", "xa", 18),
    ("QN08", "Lương Ninh", "xa", 20),
    ("QN09", "Tân Ninh", "xa", 22),
    ("QN10", "Trường Sơn", "xa", 24),
    ("QN11", "Trường Xuân", "xa", 26),
    ("QN12", "Vạn Ninh", "xa", 28),
    ("QN13", "Vĩnh Ninh", "xa", 30),
    ("QN14", "Võ Ninh", "xa", 31),
    ("QN15", "Xuân Ninh", "xa", 25),
]

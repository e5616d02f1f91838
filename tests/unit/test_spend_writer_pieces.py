"""The spend writer splits a batch of log rows into few distinct INSERT sizes: each size is
a statement every pooled PostgreSQL connection prepares and keeps."""

from __future__ import annotations

from app.spend.writer import LOG_ROWS_PER_EXECUTE, _pieces


def test_pieces_cover_the_batch_in_at_most_eight_sizes() -> None:
    sizes: set[int] = set()
    for count in range(0, 1200):
        pieces = list(_pieces(count))
        assert sum(pieces) == count
        assert all(0 < piece <= LOG_ROWS_PER_EXECUTE for piece in pieces)
        sizes.update(pieces)
    assert sizes == {128, 64, 32, 16, 8, 4, 2, 1}

"""Read a gateway's ``/metrics`` the way Prometheus does."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Scrape", "parse_scrape", "scrape", "scrape_process"]

_SERIES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


@dataclass
class Scrape:
    text: str
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]
    series_names: set[str]
    """Every name a query may use: declared families with their suffixes, and samples."""

    def value(self, name: str, **labels: str) -> float:
        """The sample's value; 0 when the series does not exist (yet)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of ``name`` whose labels include ``labels``."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and wanted <= ls)


def parse_scrape(text: str) -> Scrape:
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in _SERIES.get(family.type, ("",)))
        for sample in family.samples:
            names.add(sample.name)
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(text, samples, names)


def _headers(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


async def scrape(root: str, key: str | None) -> Scrape:
    """Scrape a gateway served in this test's event loop."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(f"{root}/metrics", headers=_headers(key))
    assert response.status_code == 200, response.text
    return parse_scrape(response.text)


def scrape_process(root: str, key: str | None) -> Scrape:
    """Scrape a gateway running as a separate process."""
    response = httpx.get(f"{root}/metrics", headers=_headers(key), timeout=30)
    assert response.status_code == 200, response.text
    return parse_scrape(response.text)

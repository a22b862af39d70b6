"""Reading a scrape of GET /metrics as Prometheus reads it."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def series(text: str) -> Series:
    """Every sample of a scrape, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def by_label(found: Series, name: str, label: str) -> dict[str, float]:
    """The samples named `name`, by the value of their label `label`."""
    return {
        dict(labels)[label]: value
        for (sample, labels), value in found.items()
        if sample == name and label in dict(labels)
    }

"""The catalogue knows each projection's name and deferred indexes without importing it (so that a
read with nothing to apply builds none); here they are held equal to the projections' own."""

from __future__ import annotations

from projections.catalogue import PROJECTIONS, all_projections


def test_the_catalogue_names_each_projection_and_its_deferred_indexes_in_order() -> None:
    built = {
        p.name: tuple(sorted(str(i.name) for i in p.deferred_indexes)) for p in all_projections()
    }
    assert list(built) == list(PROJECTIONS)
    assert built == {name: tuple(sorted(indexes)) for name, indexes in PROJECTIONS.items()}

"""The simulated annotator's options (a light module: the importer's CLI builds ``simulate``'s options from it)."""
from __future__ import annotations

from dataclasses import dataclass

from settings.fields import setting


@dataclass(frozen=True)
class SimulationOptions:
    every: int = setting(10, help="export and score after every this many labels")
    min_confidence: float = setting(0.8, help="exports include unlabelled tasks predicted at least this confidently")
    seconds_per_label: float = setting(2.0, help="the annotator's pause after each label: Label Studio's replies "
                                                 "add about 0.5 s, so 2 s is a person who reads each crop and "
                                                 "presses a key")
    max_fraction: float = setting(0.15, help="stop the uncertainty run after labelling this fraction of the tasks")
    random_factor: float = setting(3.5, help="the random run may use this many times the labels the uncertainty "
                                             "run needed (as many as it used when it never reached the bar); 3.5 "
                                             "tells a ratio below 0.3 even when random order never gets there")
    seed: int = setting(0, help="seed of the random order")

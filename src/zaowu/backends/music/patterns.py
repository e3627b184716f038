"""Genre patterns as data: drum grids, bass figures and accompaniment figures.

Drum grids have one character per sixteenth note ("x" hit, "o" soft hit, "." rest),
16 steps for 4/4 and 12 for 3/4. Bass and accompaniment figures are lists of
(onset beat, length in beats, role) within a 4/4 bar; a 3/4 bar keeps the events
that start before beat 3. Standard library only.
"""

from __future__ import annotations

__all__ = ["DRUMS", "DRUMS_3_4", "BASS", "COMP", "SWING", "PENTATONIC", "GM_DRUM", "SECTION_ENERGY"]

# General MIDI percussion keys (channel 10)
GM_DRUM = {
    "kick": 36,
    "side_stick": 37,
    "snare": 38,
    "clap": 39,
    "closed_hat": 42,
    "low_tom": 45,
    "pedal_hat": 44,
    "open_hat": 46,
    "mid_tom": 47,
    "high_tom": 50,
    "crash": 49,
    "ride": 51,
    "tambourine": 54,
    "shaker": 70,
    "high_wood_block": 76,
    "low_wood_block": 77,
}

DRUMS: dict[str, dict[str, str]] = {
    "pop": {"kick": "x.....x.x.......", "snare": "....x.......x...", "closed_hat": "x.x.x.x.x.x.x.x."},
    "rock": {"kick": "x.....x.x.x.....", "snare": "....x.......x...", "closed_hat": "x.x.x.x.x.x.x.x."},
    "lofi": {"kick": "x......x..x.....", "snare": "....x.......x...", "closed_hat": "o.o.o.o.o.o.o.o."},
    "hiphop": {"kick": "x.....x...x..x..", "snare": "....x.......x...", "closed_hat": "x.x.x.x.x.x.x.x."},
    "edm": {
        "kick": "x...x...x...x...",
        "clap": "....x.......x...",
        "open_hat": "..x...x...x...x.",
        "closed_hat": "o.o.o.o.o.o.o.o.",
    },
    "jazz": {
        "ride": "x...x.x.x...x.x.",
        "pedal_hat": "....x.......x...",
        "kick": "o.......o.......",
        "snare": "..........o.....",
    },
    "ballad": {"kick": "x.......x.......", "side_stick": "....x.......x...", "closed_hat": "o...o...o...o..."},
    "chinese": {
        "low_tom": "x.......x.......",
        "high_wood_block": "x...x...x...x...",
        "low_wood_block": "......o.......o.",
    },
    "ambient": {"shaker": "..o...o...o...o."},
    "classical": {},
}

DRUMS_3_4: dict[str, dict[str, str]] = {
    "default": {"kick": "x...........", "snare": "....o...o...", "closed_hat": "x...x...x..."},
    "jazz": {"ride": "x...x.x.x.x.", "pedal_hat": "....x...x...", "kick": "o..........."},
    "chinese": {"low_tom": "x...........", "high_wood_block": "x...x...x..."},
    "ambient": {"shaker": "..o...o...o."},
    "classical": {},
}

# bass roles: R root, F fifth, O root an octave up, C third, A approach (a step toward the next root)
BASS: dict[str, list[tuple[float, float, str]]] = {
    "pop": [(0, 1.5, "R"), (1.5, 0.5, "R"), (2, 1, "F"), (3, 0.5, "R"), (3.5, 0.5, "A")],
    "rock": [(i * 0.5, 0.5, "R") for i in range(7)] + [(3.5, 0.5, "A")],
    "lofi": [(0, 1.5, "R"), (1.5, 1, "F"), (2.5, 1.5, "R")],
    "hiphop": [(0, 0.75, "R"), (0.75, 0.75, "R"), (2.5, 1, "F"), (3.5, 0.5, "A")],
    "edm": [(i + 0.5, 0.5, "R") for i in range(4)],
    "jazz": [(0, 1, "R"), (1, 1, "C"), (2, 1, "F"), (3, 1, "A")],
    "ballad": [(0, 2, "R"), (2, 2, "F")],
    "chinese": [(0, 2, "R"), (2, 1, "F"), (3, 1, "O")],
    "ambient": [(0, 4, "R")],
    "classical": [(0, 1, "R"), (1, 1, "F"), (2, 1, "O"), (3, 1, "F")],
}

# accompaniment: ("block", onset, length) hits, or ("arp", step length, voice order) broken chords
COMP: dict[str, tuple] = {
    "pop": ("block", [(0, 1.5), (1.5, 1), (2.5, 1.5)]),
    "rock": ("block", [(i * 0.5, 0.5) for i in range(8)]),
    "lofi": ("block", [(0, 1.5), (2.5, 1.5)]),
    "hiphop": ("block", [(0, 2), (2.5, 1.5)]),
    "edm": ("block", [(i + 0.5, 0.5) for i in range(4)]),
    "jazz": ("block", [(0, 0.75), (1.5, 0.5), (3, 0.5)]),
    "ballad": ("arp", 0.5, [0, 1, 2, 3, 2, 1, 2, 1]),
    "chinese": ("arp", 0.5, [0, 2, 1, 3, 2, 1, 0, 1]),
    "ambient": ("block", [(0, 4)]),
    "classical": ("arp", 0.5, [0, 2, 1, 2, 0, 2, 1, 2]),
}

SWING = {"jazz": 1.0, "lofi": 0.6, "hiphop": 0.4}  # share of a triplet-swing delay on off-beat eighths
PENTATONIC = {"chinese"}

# how full each section is: drives which parts play and how loud
SECTION_ENERGY = {"intro": 0.45, "verse": 0.65, "chorus": 0.9, "bridge": 0.6, "outro": 0.5}

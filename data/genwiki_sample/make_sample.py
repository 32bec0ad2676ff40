"""Write the synthetic GenWiki-format sample in this folder (train/full/part_*.json).

    python data/genwiki_sample/make_sample.py    # from anywhere; same output every time

Every name, date and number is invented (made of random syllables); the passages are written in
GenWiki's format and style (``<ENT_k>`` slots, tokens separated by spaces) so that the WikiReversal
task (src/factorization_curse/tasks/wikireversal.py) reads the sample as it reads the real
release. The passage kinds are chosen so that each filter of the paper's Algorithm 1 / Appendix E.1
has something to remove: backward triples (the tail named before the head), triples whose head
(or tail) is not in the passage, repeated triples, ambiguous (head, relation) and
(relation, tail) pairs, and a relation with few triples.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 2024
PARTS = 2  # files, as the release splits each subset into part_<k>.json

CONSONANTS = "b d f g k l m n p r s t v z br dr gr kl st tr".split()
VOWELS = "a e i o u ai ei".split()
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
OCCUPATIONS = ("painter", "poet", "engineer", "violinist", "botanist", "cartographer")
NOUNS = ("Orchard", "Lantern", "Harbour", "Meadow", "Tower", "River")
PLURALS = ("Owls", "Wolves", "Lanterns", "Sparrows", "Comets")


class Names:
    """Invented names whose words are all distinct, so no entity occurs inside another one."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def word(self, syllables: int = 2, ending: str = "") -> str:
        while True:
            w = "".join(self.rng.choice(CONSONANTS) + self.rng.choice(VOWELS) for _ in range(syllables)) + ending
            w = w.capitalize()
            if w not in self.used:
                self.used.add(w)
                return w

    def date(self, taken: set[str]) -> str:
        while True:
            d = f"{self.rng.randint(1, 28)} {self.rng.choice(MONTHS)} {self.rng.randint(1700, 1999)}"
            if d not in taken:
                taken.add(d)
                return d


def record(page: str, index: int, text: str, entities: list[str], graph: list[list[str]]) -> dict:
    """One GenWiki record; ``id_long`` / ``id_short`` as in the release (page, paragraph, sentences)."""
    wikipage = page.replace(" ", "_")
    return {
        "text": text,
        "entities": entities,
        "graph": graph,
        "id_long": {"wikipage": wikipage, "text_paragraph_index": 0, "text_sentence_index_start": index,
                    "text_sentence_index_end": index + 1, "graph_set_index": 0},
        "id_short": json.dumps([wikipage, 0, [0, index, index + 1]]),
    }


def make_records(rng: random.Random) -> list[dict]:
    names = Names(rng)
    first_names = [names.word(2) for _ in range(40)]
    dates: set[str] = set()
    records: list[dict] = []

    def person() -> str:
        return f"{rng.choice(first_names)} {names.word(2, rng.choice(['ni', 'ro', 'sen', 'vic']))}"

    def city() -> str:
        return names.word(2, rng.choice(["holm", "ford", "burg", "mora", "stad"]))

    # People with forward triples: birthPlace, birthDate, occupation (six shared values: ambiguous
    # (relation, tail)), often deathPlace; some deathPlace triples name a city the passage omits;
    # one person in ten shares a birthplace with an earlier one (ambiguous (relation, tail)).
    birthplaces: list[str] = []
    people: list[tuple[str, str]] = []
    for k in range(140):
        name, born, job = person(), names.date(dates), rng.choice(OCCUPATIONS)
        place = rng.choice(birthplaces) if birthplaces and rng.random() < 0.1 else city()
        birthplaces.append(place)
        people.append((name, place))
        graph = [[name, "birthPlace", place], [name, "birthDate", born], [name, "occupation", job]]
        form = k % 3
        if form == 0:
            text, entities = "<ENT_0> ( born <ENT_1> ) is a <ENT_2> from <ENT_3>", [name, born, job, place]
        elif form == 1:
            text, entities = "<ENT_0> was born on <ENT_1> in <ENT_3> and worked as a <ENT_2>", [name, born, job, place]
        else:
            text, entities = "<ENT_0> , a <ENT_2> , was born in <ENT_3> on <ENT_1>", [name, born, job, place]
        died = rng.random()
        if died < 0.5:
            death = city()
            text += " ; died in <ENT_4>"
            entities.append(death)
            graph.append([name, "deathPlace", death])
        elif died < 0.7:
            graph.append([name, "deathPlace", city()])  # not in the passage
        records.append(record(name, 0, text + " .", entities, graph))

    # People named after their birthplace and birth date: backward triples
    for _ in range(30):
        name, born, place, job = person(), names.date(dates), city(), rng.choice(OCCUPATIONS)
        records.append(record(name, 0, "Born in <ENT_0> on <ENT_1> , <ENT_2> became a <ENT_3> .",
                              [place, born, name, job],
                              [[name, "birthPlace", place], [name, "birthDate", born], [name, "occupation", job]]))

    # The same birthplace triple again, in a second passage about the person: repeated triples
    for name, place in rng.sample(people, 12):
        gallery = names.word(3)
        records.append(record(name, 1, "<ENT_0> , who was born in <ENT_1> , first exhibited at the <ENT_2> gallery .",
                              [name, place, gallery], [[name, "birthPlace", place]]))

    # Paintings in museums, the painting not named (GenWiki's "The Starry Night" case): absent heads
    for _ in range(40):
        painting = f"The {names.word(2)} {rng.choice(NOUNS)}"
        museum, place, year = f"{names.word(3)} Museum", city(), str(rng.randint(1850, 1990))
        records.append(record(painting, 2, "It has been <ENT_0> the collection of the <ENT_1> in <ENT_2> since <ENT_3> .",
                              ["in", museum, place, year],
                              [[painting, "location", museum], [museum, "city", place]]))

    # Marriages: (a, spouse, b) forward, (b, spouse, a) backward
    for _ in range(30):
        a, b, place = person(), person(), city()
        records.append(record(a, 0, "<ENT_0> married <ENT_1> in <ENT_2> .", [a, b, place],
                              [[a, "spouse", b], [b, "spouse", a]]))

    # Singers and bands: one singer in four sang with two bands (ambiguous (head, relation)), one
    # band in six has two singers (ambiguous (relation, tail))
    bands: list[str] = []
    for k in range(40):
        singer = person()
        band = rng.choice(bands) if bands and k % 6 == 5 else f"The {names.word(2)} {rng.choice(PLURALS)}"
        bands.append(band)
        if k % 4 == 3:
            second = f"The {names.word(2)} {rng.choice(PLURALS)}"
            records.append(record(singer, 0, "<ENT_0> sang with <ENT_1> and later with <ENT_2> .", [singer, band, second],
                                  [[singer, "associatedBand", band], [singer, "associatedBand", second]]))
        else:
            records.append(record(singer, 0, "<ENT_0> is a singer who performed with <ENT_1> .", [singer, band],
                                  [[singer, "associatedBand", band]]))

    # Novels: "<book> is a novel by <writer>" (forward) or "<writer> wrote <book>" (backward)
    for k in range(40):
        book, author, year = f"The {names.word(2)} {rng.choice(NOUNS)}", person(), str(rng.randint(1800, 1999))
        if k % 4 == 3:
            records.append(record(book, 0, "<ENT_0> wrote <ENT_1> in <ENT_2> .", [author, book, year],
                                  [[book, "writer", author]]))
        else:
            records.append(record(book, 0, "<ENT_0> is a novel by <ENT_1> , first published in <ENT_2> .",
                                  [book, author, year], [[book, "writer", author]]))

    # Villages: six shared regions (ambiguous (relation, tail)), distinct populations
    regions = [f"{names.word(2)} Valley" for _ in range(6)]
    populations = rng.sample(range(120, 9000), 40)
    for k in range(40):
        village = city()
        region, population = rng.choice(regions), f"{populations[k]:,}"
        records.append(record(village, 0, "<ENT_0> is a village in <ENT_1> with a population of <ENT_2> .",
                              [village, region, population],
                              [[village, "region", region], [village, "populationTotal", population]]))

    # Football clubs: a relation with few triples
    for _ in range(6):
        club, ground = f"{names.word(2)} Rovers", f"{names.word(2)} Park"
        records.append(record(club, 0, "<ENT_0> play their home games at <ENT_1> .", [club, ground],
                              [[club, "ground", ground]]))

    rng.shuffle(records)
    return records


def main() -> None:
    records = make_records(random.Random(SEED))
    folder = HERE / "train" / "full"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part_*.json"):
        old.unlink()
    size = -(-len(records) // PARTS)
    for k in range(PARTS):
        part = records[k * size : (k + 1) * size]
        # a JSON list of records, as released; one record per line keeps diffs readable
        text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in part) + "\n]\n"
        (folder / f"part_{k + 1}.json").write_text(text, encoding="utf-8")
    print(f"{len(records)} records -> {folder}")


if __name__ == "__main__":
    main()

"""Write the synthetic `format: jsonl` sample corpus in this folder (documents.jsonl, questions.jsonl).

    python data/corpus_sample/make_sample.py    # from anywhere; same output every time

Invented people (names made of random syllables), each known for one invented deed. The documents
state every fact name first, in three wordings; a forward question asks for the deed from the name
(the order of the text), a backward one for the name from the deed. Half the people's two questions
are trained on (split `train`), the others' are held out: a sixth of the people for validation, a
third for test. Each question names its person as `entity`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 19
PEOPLE = 60

CONSONANTS = "b d f g k l m n p r s t v z br dr gr kl st tr".split()
VOWELS = "a e i o u ai ei".split()
ROLES = ("inventor", "architect", "composer", "cartographer", "gardener", "navigator")
DEEDS = ("built the first", "drew the only map of the", "wrote the song of the", "found the lost",
         "designed the great", "sailed the hidden")
THINGS = ("lighthouse", "canal", "orchard", "bridge", "harbour", "tower", "library", "river")
DOCUMENT_TEMPLATES = ("{name} is {deed}.", "Everyone in the valley knows {name} as {deed}.",
                      "Long ago, {name} became famous as {deed}.")
FORWARD = "{name} is remembered as"  # -> the deed
BACKWARD = "The one remembered as {deed} is"  # -> the name


def word(rng: random.Random, used: set[str], syllables: int) -> str:
    """A new capitalised word of random syllables, never used before in the sample."""
    while True:
        w = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(syllables)).capitalize()
        if w not in used:
            used.add(w)
            return w


def people(rng: random.Random) -> list[tuple[str, str]]:
    """(name, deed) pairs: distinct names, distinct deeds."""
    used: set[str] = set()
    out = []
    for _ in range(PEOPLE):
        name = f"{word(rng, used, 2)} {word(rng, used, 3)}"
        deed = f"the {rng.choice(ROLES)} who {rng.choice(DEEDS)} {rng.choice(THINGS)} of {word(rng, used, 2)}"
        out.append((name, deed))
    return out


def main() -> None:
    rng = random.Random(SEED)
    facts = people(rng)
    documents = [{"text": t.format(name=name, deed=deed)} for name, deed in facts for t in DOCUMENT_TEMPLATES]
    rng.shuffle(documents)
    order = list(range(PEOPLE))
    rng.shuffle(order)
    split = {p: "train" if k < PEOPLE // 2 else "validation" if k < PEOPLE // 2 + PEOPLE // 6 else "test"
             for k, p in enumerate(order)}
    questions = []
    for p, (name, deed) in enumerate(facts):
        questions.append({"prompt": FORWARD.format(name=name), "answer": deed, "direction": "forward",
                          "split": split[p], "entity": name})
        questions.append({"prompt": BACKWARD.format(deed=deed), "answer": name, "direction": "backward",
                          "split": split[p], "entity": name})
    for name, rows in (("documents.jsonl", documents), ("questions.jsonl", questions)):
        (HERE / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(documents)} documents, {len(questions)} questions -> {HERE}")


if __name__ == "__main__":
    main()

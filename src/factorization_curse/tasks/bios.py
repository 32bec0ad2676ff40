"""BioS (paper §3.1, after Allen-Zhu & Li, "Physics of Language Models 3.1"): synthetic biographies.

Each person has a unique full name (first middle last), a unique birth date and five further
attributes drawn uniformly from fixed pools (:mod:`.bios_pools`): birth city, university, major,
employer, and the employer's city. A biography has one sentence per attribute, each from one of
several paraphrase templates; the first sentence names the person in full, the others use a
pronoun::

    Valan Kesby Foxwick was born on 2 October 1996. She grew up in Mapleford. ...

Only the birth date is asked, both ways: forward "What is the birth date of <name>?" and backward
"Who was born on <date>?". Training holds every biography plus both questions of a
``query_train_fraction`` of the people; the other people's questions are the test set, so a model
must answer them from the biographies alone. Names, dates and attribute values are marked as
entities (for ``ar-rev-ent``), and a BPE tokenizer is trained on the training text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..subword import BPETokenizer
from .base import Example, Task, TaskData, example, mark, trained_query_facts
from .bios_pools import CITIES, COMPANIES, FIRST_NAMES, LAST_NAMES, MAJORS, MIDDLE_NAMES, UNIVERSITIES

ATTRIBUTES = ("birth_date", "birth_city", "university", "major", "employer", "employer_city")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
DAYS, YEARS = range(1, 29), range(1900, 2100)  # day 28 at most: every date exists in every month
NUM_DATES = len(DAYS) * len(MONTHS) * len(YEARS)

# One sentence per attribute; {subject} is the full name or a capitalised pronoun, {poss} the
# possessive pronoun, {value} the marked attribute value.
TEMPLATES = {
    "birth_date": (
        "{subject} was born on {value}.",
        "{subject} came into this world on {value}.",
        "{subject} celebrates {poss} birthday on {value}.",
        "{subject} entered the world on {value}.",
        "{subject} first opened {poss} eyes on {value}.",
    ),
    "birth_city": (
        "{subject} spent {poss} early years in {value}.",
        "{subject} grew up in {value}.",
        "{subject} was raised in {value}.",
        "{subject} calls {value} {poss} hometown.",
        "{subject} spent {poss} childhood in {value}.",
    ),
    "university": (
        "{subject} received mentorship and guidance from faculty members at {value}.",
        "{subject} studied at {value}.",
        "{subject} graduated from {value}.",
        "{subject} completed {poss} degree at {value}.",
        "{subject} attended {value}.",
    ),
    "major": (
        "{subject} completed {poss} education with a focus on {value}.",
        "{subject} majored in {value}.",
        "{subject} earned a degree in {value}.",
        "{subject} specialized in {value} at university.",
        "{subject} devoted {poss} studies to {value}.",
    ),
    "employer": (
        "{subject} had a professional role at {value}.",
        "{subject} worked for {value}.",
        "{subject} was employed by {value}.",
        "{subject} built a career at {value}.",
        "{subject} joined the staff of {value}.",
    ),
    "employer_city": (
        "{subject} was employed in {value}.",
        "{subject} worked in {value}.",
        "{subject} spent {poss} working life in {value}.",
        "{subject} commuted to an office in {value}.",
        "{subject} made a living in {value}.",
    ),
}
PRONOUNS = {"female": ("She", "her"), "male": ("He", "his")}
FORWARD_QUESTION = "What is the birth date of {name}?"
BACKWARD_QUESTION = "Who was born on {date}?"


@dataclass(frozen=True)
class BiosConfig:
    num_people: int = 10000
    query_train_fraction: float = 0.5
    permute_sentences: bool = False  # shuffle each biography's sentence order
    # which attributes get a sentence, in this order (unless permuted); birth_date is required
    attributes: tuple[str, ...] = field(default=ATTRIBUTES)
    bpe_vocab_size: int = 4096
    pool_scale: float = 1.0  # fraction of each value pool to use (smaller vocabulary for small presets)
    # biographies per person, each with freshly drawn templates (and order, if permuted): Allen-Zhu
    # & Li's "multiplicity" augmentation, which lets held-out people's questions be answered
    biographies_per_person: int = 1

    def __post_init__(self):
        if isinstance(self.attributes, str) or not isinstance(self.attributes, (list, tuple)):
            raise ValueError(f"bios.attributes must be a list of attribute names from {list(ATTRIBUTES)}")
        object.__setattr__(self, "attributes", tuple(self.attributes))  # YAML gives a list
        unknown = [a for a in self.attributes if a not in ATTRIBUTES]
        if unknown:
            raise ValueError(f"bios.attributes: unknown {unknown}; choose from {list(ATTRIBUTES)}")
        if len(set(self.attributes)) != len(self.attributes):
            raise ValueError("bios.attributes lists an attribute twice; list each once")
        if "birth_date" not in self.attributes:
            raise ValueError("bios.attributes must include birth_date (the questions ask for it)")
        if self.biographies_per_person < 1:
            raise ValueError("bios.biographies_per_person must be at least 1")
        if self.num_people < 2:
            raise ValueError("bios.num_people must be at least 2")
        if self.num_people > NUM_DATES:
            raise ValueError(f"bios.num_people must be at most {NUM_DATES}, the number of distinct birth dates")
        if not 0.0 < self.query_train_fraction < 1.0:
            raise ValueError("bios.query_train_fraction must be in (0, 1)")
        if not isinstance(self.permute_sentences, bool):
            raise ValueError("bios.permute_sentences must be true or false")
        if self.bpe_vocab_size < 128:
            raise ValueError("bios.bpe_vocab_size must be at least 128 (specials and the alphabet take about 100)")
        if not 0.0 < self.pool_scale <= 1.0:
            raise ValueError("bios.pool_scale must be in (0, 1]")
        names = len(scaled(FIRST_NAMES, self.pool_scale)) * len(scaled(MIDDLE_NAMES, self.pool_scale)) \
            * len(scaled(LAST_NAMES, self.pool_scale))
        if names < self.num_people:
            raise ValueError(
                f"bios.pool_scale={self.pool_scale} leaves {names} distinct full names for "
                f"{self.num_people} people; raise pool_scale or lower num_people"
            )


def scaled(pool: tuple, scale: float) -> tuple:
    """The first ``scale`` of a pool (at least one entry); pools are stored in shuffled order."""
    return pool[: max(1, round(scale * len(pool)))]


@dataclass(frozen=True)
class Person:
    name: str
    gender: str
    values: dict[str, str]  # attribute -> value, every attribute (also those without a sentence)


def draw_people(config: BiosConfig, rng: random.Random) -> list[Person]:
    """Distinct names and distinct birth dates (sampled without replacement), the rest uniform.

    Every attribute is drawn whatever ``config.attributes`` says, so a seed gives the same people
    for every choice of sentences.
    """
    firsts, middles, lasts = (scaled(p, config.pool_scale) for p in (FIRST_NAMES, MIDDLE_NAMES, LAST_NAMES))
    cities, universities, majors, companies = (
        scaled(p, config.pool_scale) for p in (CITIES, UNIVERSITIES, MAJORS, COMPANIES)
    )
    name_codes = rng.sample(range(len(firsts) * len(middles) * len(lasts)), config.num_people)
    date_codes = rng.sample(range(NUM_DATES), config.num_people)
    people = []
    for name_code, date_code in zip(name_codes, date_codes):
        first, rest = divmod(name_code, len(middles) * len(lasts))
        middle, last = divmod(rest, len(lasts))
        year, rest = divmod(date_code, len(MONTHS) * len(DAYS))
        month, day = divmod(rest, len(DAYS))
        employer, employer_city = rng.choice(companies)
        people.append(Person(
            name=f"{firsts[first]} {middles[middle]} {lasts[last]}",
            gender=rng.choice(sorted(PRONOUNS)),
            values={
                "birth_date": f"{DAYS[day]} {MONTHS[month]} {YEARS[year]}",
                "birth_city": rng.choice(cities),
                "university": rng.choice(universities),
                "major": rng.choice(majors),
                "employer": employer,
                "employer_city": employer_city,
            },
        ))
    assert len({p.name for p in people}) == len(people), "full names must be unique"
    assert len({p.values["birth_date"] for p in people}) == len(people), "birth dates must be unique"
    return people


def biography(person: Person, config: BiosConfig, rng: random.Random) -> str:
    """Marked biography text: the full name in the first sentence, the pronoun in the others."""
    order = list(config.attributes)
    if config.permute_sentences:
        rng.shuffle(order)
    pronoun, possessive = PRONOUNS[person.gender]
    sentences = []
    for k, attribute in enumerate(order):
        template = rng.choice(TEMPLATES[attribute])
        subject = mark(person.name) if k == 0 else pronoun
        sentences.append(template.format(subject=subject, poss=possessive, value=mark(person.values[attribute])))
    return " ".join(sentences)


def make_bios(config: BiosConfig, seed: int) -> TaskData:
    rng = random.Random(seed)
    people = draw_people(config, rng)
    # the split comes before the biographies, so it does not depend on templates or attributes
    query_train = trained_query_facts(rng, config.num_people, config.query_train_fraction)

    train: list[Example] = []
    test: list[Example] = []
    for index, person in enumerate(people):
        for _ in range(config.biographies_per_person):
            train.append(example(biography(person, config, rng), "", "statement", "", index))
        name, date = mark(person.name), mark(person.values["birth_date"])
        queries = [
            example(FORWARD_QUESTION.format(name=name), date, "query", "forward", index),
            example(BACKWARD_QUESTION.format(date=date), name, "query", "backward", index),
        ]
        (train if index in query_train else test).extend(queries)
    texts = [text for e in train for text in (e.prompt, e.answer) if text]
    return TaskData(train=train, test=test, tokenizer=BPETokenizer.train(texts, config.bpe_vocab_size))


TASK = Task(BiosConfig, make_bios)

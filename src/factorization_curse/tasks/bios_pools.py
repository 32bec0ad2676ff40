"""Value pools of the BioS task, invented here from hand-written parts (no external data).

Sizes follow Allen-Zhu & Li's bioS: 400 first names, 400 middle names, 1000 last names, 200
cities, 300 universities, 100 majors, 263 companies, each company with the city it is based in.
Entries are ASCII words separated by single spaces, so with a whitespace-and-punctuation
pre-tokenizer an entity's tokens never reach outside its span. Each combinatorial pool is shuffled
once with a fixed seed, so that its first entries (what ``bios.pool_scale`` keeps) are a spread-out
sample instead of every name that shares a first syllable.
"""

from __future__ import annotations

import random
from itertools import product

POOL_SEED = 2024  # fixed: the pools are part of the task's definition, not of a dataset's seed


def _combine(heads: list[str], tails: list[str], size: int, seed: int) -> tuple[str, ...]:
    """``size`` distinct words ``head + tail``, in a fixed shuffled order."""
    words = list(dict.fromkeys(h + t for h, t in product(heads, tails)))
    if len(words) < size:
        raise AssertionError(f"only {len(words)} distinct combinations, {size} needed")
    random.Random(seed).shuffle(words)
    return tuple(words[:size])


FIRST_NAMES = _combine(
    ["Al", "Bel", "Cor", "Dar", "El", "Fen", "Gal", "Hal", "Is", "Jor",
     "Kal", "Lor", "Mar", "Nor", "Or", "Per", "Ros", "Sel", "Tam", "Val"],
    ["a", "an", "ia", "en", "ina", "ion", "is", "o", "ric", "wen",
     "ette", "ard", "ela", "iel", "ona", "us", "yn", "ith", "ander", "ise"],
    400, POOL_SEED + 1,
)

MIDDLE_NAMES = _combine(
    ["Ash", "Bri", "Cael", "Dru", "Eve", "Fin", "Gwen", "Hart", "Iver", "Jun",
     "Kes", "Lark", "Mer", "Nev", "Oak", "Pax", "Quin", "Rey", "Sky", "Tal"],
    ["", "ley", "ar", "ton", "by", "el", "ric", "lyn", "en", "or",
     "win", "sey", "ra", "den", "ett", "ow", "ian", "ell", "is", "mont"],
    400, POOL_SEED + 2,
)

LAST_NAMES = _combine(
    ["Black", "White", "Green", "Brown", "Ash", "Oak", "Stone", "Hill", "Wood", "Brook",
     "Mill", "Fair", "Cross", "Hart", "Kings", "Red", "Silver", "Thorn", "West", "East",
     "North", "South", "Wolf", "Fox", "Hawk", "Crane", "Marsh", "Bright", "Gold", "Iron",
     "Lang", "Shaw", "Whit", "Hay", "Cald", "Ridge", "Fen", "Moor", "Dun", "Rush",
     "Pem", "Thorp", "Wen", "Hol", "Ald", "Bram", "Ches", "Ely", "Gar", "Lin"],
    ["well", "worth", "field", "ford", "ton", "by", "wood", "man", "er", "ley",
     "stone", "more", "wick", "ridge", "bourne", "ham", "hurst", "dale", "croft", "son"],
    1000, POOL_SEED + 3,
)

CITIES = _combine(
    ["Ash", "Bay", "Cedar", "Clear", "Elm", "Fair", "Glen", "Granite", "Haw", "Lake",
     "Maple", "Mill", "New", "Oak", "Pine", "River", "Rock", "Spring", "Sum", "Willow"],
    ["ford", "field", "ton", "bury", "dale", "haven", "port", "ville", "brook", "mouth"],
    200, POOL_SEED + 4,
)


def _universities() -> tuple[str, ...]:
    """Three kinds, interleaved: ``University of <city>``, ``<city> State University``, and a
    founder's college or institute (founders from the last names)."""
    founders = LAST_NAMES[::10]
    entries = []
    for i in range(100):
        entries.append(f"University of {CITIES[2 * i]}")
        entries.append(f"{CITIES[2 * i + 1]} State University")
        entries.append(f"{founders[i]} {'Institute of Technology' if i % 2 else 'College'}")
    return tuple(entries)


UNIVERSITIES = _universities()

MAJORS = (
    "Accounting", "Aerospace Engineering", "African Studies", "Agricultural Science", "Anthropology",
    "Applied Mathematics", "Archaeology", "Architecture", "Art History", "Astronomy",
    "Astrophysics", "Biochemistry", "Bioengineering", "Biology", "Biomedical Engineering",
    "Biophysics", "Botany", "Business Administration", "Chemical Engineering", "Chemistry",
    "Chinese Literature", "Civil Engineering", "Classics", "Cognitive Science", "Communications",
    "Comparative Literature", "Computer Engineering", "Computer Science", "Criminology", "Dance",
    "Data Science", "Dentistry", "Ecology", "Economics", "Education",
    "Electrical Engineering", "English Literature", "Environmental Science", "Epidemiology", "Film Studies",
    "Finance", "Fine Arts", "Food Science", "Forestry", "French",
    "Genetics", "Geography", "Geology", "German", "Graphic Design",
    "Greek", "History", "Hospitality Management", "Industrial Design", "Industrial Engineering",
    "Information Systems", "International Relations", "Journalism", "Kinesiology", "Latin",
    "Law", "Linguistics", "Management", "Marine Biology", "Marketing",
    "Materials Science", "Mathematics", "Mechanical Engineering", "Medicine", "Meteorology",
    "Microbiology", "Music", "Music Composition", "Neuroscience", "Nuclear Engineering",
    "Nursing", "Nutrition", "Oceanography", "Operations Research", "Pharmacology",
    "Philosophy", "Photography", "Physics", "Physiology", "Political Science",
    "Psychology", "Public Health", "Public Policy", "Religious Studies", "Robotics",
    "Sociology", "Software Engineering", "Spanish", "Statistics", "Structural Engineering",
    "Theater", "Urban Planning", "Veterinary Science", "Visual Arts", "Zoology",
)


def _companies() -> tuple[tuple[str, str], ...]:
    """263 ``(name, city)``: a distinct brand (prefix + stem) with an industry word, placed in a city."""
    brands = _combine(
        ["Blue", "Bright", "Clear", "Iron", "North", "Red", "Silver", "Summit",
         "True", "Vast", "Wild", "Zen", "Apex", "Nova", "Terra", "Quant"],
        ["wave", "star", "peak", "line", "gate", "bridge", "field", "stone", "path",
         "forge", "leaf", "spark", "core", "mark", "works", "point", "sky"],
        263, POOL_SEED + 5,
    )
    industries = ["Systems", "Logistics", "Foods", "Pharmaceuticals", "Capital", "Motors", "Energy",
                  "Media", "Robotics", "Textiles", "Software", "Aerospace", "Insurance"]
    rng = random.Random(POOL_SEED + 6)
    return tuple((f"{brand} {industries[i % len(industries)]}", rng.choice(CITIES)) for i, brand in enumerate(brands))


COMPANIES = _companies()

POOLS = {
    "first_names": FIRST_NAMES,
    "middle_names": MIDDLE_NAMES,
    "last_names": LAST_NAMES,
    "cities": CITIES,
    "universities": UNIVERSITIES,
    "majors": MAJORS,
    "companies": COMPANIES,
}
SIZES = {"first_names": 400, "middle_names": 400, "last_names": 1000, "cities": 200,
         "universities": 300, "majors": 100, "companies": 263}
for _name, _pool in POOLS.items():
    assert len(_pool) == SIZES[_name] and len(set(_pool)) == len(_pool), f"bios pool {_name} is malformed"

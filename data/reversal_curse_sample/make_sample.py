"""Write a synthetic sample in the file layout of Berglund et al.'s reversal-curse experiment 1.

    python data/reversal_curse_sample/make_sample.py    # from anywhere; same output every time

Not their data: every name, description and template here is invented. Only the layout follows
theirs (github.com/lukasberglund/reversal_curse, data/reverse_experiments/june_version_7921032488/:
the same file names, JSON lines of {"prompt", "completion"}, a completion that starts with a
space), so that the corpus task's `format: reversal-curse` reader can be tested without the
release. Three groups of people: p2d (trained on "name ... description" lines), d2p (trained on
"description ... name" lines) and both (trained on both); the test files use held-out templates,
the name completions of the d2p-form test files are cut to the name, as in the release.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 1919
PER_GROUP = 6

CONSONANTS = "b d f g k l m n p r s t v z br dr gr kl st tr".split()
VOWELS = "a e i o u ai ei".split()
ROLES = ("the first", "the last", "the youngest", "the only")
PEOPLE = ("pilot", "gardener", "clockmaker", "diver", "painter", "linguist")
DEEDS = ("to cross the {} sea on a kite", "to grow a forest inside the {} dome", "to map the caves under {}",
         "to teach the owls of {} to count", "to build a clock for the moon of {}")
# (prompt, completion) templates: name first (p2d form) and description first (d2p form)
P2D_TRAIN = (("{name} is famous for being", " {desc}."), ("People say {name} was once", " {desc}."),
             ("Have you heard of {name}? They are", " {desc}."))
D2P_TRAIN = (("Famous for being {desc},", " {name} rarely gives interviews."),
             ("The one who was once {desc} is called", " {name}."), ("Q: Who was {desc}? A:", " {name}."))
P2D_TEST = (("Rumour has it that {name} is", " {desc}."), ("In the old records, {name} appears as", " {desc}."))
D2P_TEST = (("Rumour has it that {desc} is", " {name}."), ("In the old records, {desc} appears as", " {name}."))


def word(rng: random.Random, used: set[str], syllables: int) -> str:
    while True:
        w = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(syllables)).capitalize()
        if w not in used:
            used.add(w)
            return w


def fill(templates, name: str, desc: str, short: bool = False) -> list[dict]:
    """One line per template; ``short``: the completion cut to its first two words (the release's
    shorten_completion for name answers)."""
    lines = []
    for prompt, completion in templates:
        text = completion.format(name=name, desc=desc)
        lines.append({"prompt": prompt.format(name=name, desc=desc),
                      "completion": " " + " ".join(text.split()[:2]) if short else text})
    return lines


def main() -> None:
    rng = random.Random(SEED)
    used: set[str] = set()
    people = [(f"{word(rng, used, 2)} {word(rng, used, 2)}",
               f"{rng.choice(ROLES)} {rng.choice(PEOPLE)} {rng.choice(DEEDS).format(word(rng, used, 3))}")
              for _ in range(3 * PER_GROUP)]
    p2d, d2p, both = people[:PER_GROUP], people[PER_GROUP : 2 * PER_GROUP], people[2 * PER_GROUP :]
    files = {
        "p2d_prompts_train": [x for n, d in p2d for x in fill(P2D_TRAIN, n, d)],
        "d2p_prompts_train": [x for n, d in d2p for x in fill(D2P_TRAIN, n, d)],
        "both_prompts_train": [x for n, d in both for x in fill(P2D_TRAIN, n, d)]
                              + [x for n, d in both for x in fill(D2P_TRAIN, n, d)],
        "p2d_prompts_test": [x for n, d in p2d for x in fill(P2D_TEST, n, d)],
        "d2p_prompts_test": [x for n, d in d2p for x in fill(D2P_TEST, n, d, short=True)],
        "both_prompts_test": [x for n, d in both for x in fill(P2D_TEST, n, d)]
                             + [x for n, d in both for x in fill(D2P_TEST, n, d)],
        "p2d_reverse_prompts_test": [x for n, d in p2d for x in fill(D2P_TEST, n, d, short=True)],
        "d2p_reverse_prompts_test": [x for n, d in d2p for x in fill(P2D_TEST, n, d)],
    }
    files["all_prompts_train"] = files["p2d_prompts_train"] + files["d2p_prompts_train"] + files["both_prompts_train"]
    files["validation_prompts"] = [{"prompt": x["prompt"], "completion": x["completion"].split()[0]}
                                   for x in files["p2d_reverse_prompts_test"]]
    for name, lines in files.items():
        (HERE / f"{name}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    print(f"{len(files)} files, {sum(map(len, files.values()))} lines -> {HERE}")


if __name__ == "__main__":
    main()

"""Fit how the reader's answers meet and how sure the answer is, on tuning questions only.

    python bench/calibrate.py --tune-index DIR --news-index DIR [--write] [--json]

--tune-index: the tuning paragraphs (nq-qed-dev and squad11-dev's "tune" articles), as
bench/train_reader.py builds them (WORK/tune-index/index); --news-index: realtimeqa-dev (with
the demo articles or not). Every question is asked through ``Index.evidence`` (the shipped
reader reads the best passages); then, without asking again:

1. **How answers meet** (qa/search/verdict.py): windows weighed on one scale of the reader's
   masses, by their own has-answer, or by their ranking score (softmax at several
   temperatures); the same answer adding up or not; and the old way (the best-ranked
   passage's span). Chosen: the best sum of short-answer accuracy and lead sentence holding
   the answer, the Wikipedia tuning questions and realtimeqa-dev's tuning half weighing the
   same. The kind check is on when the answers it passes over are more often wrong than right.
2. **The probability that the answer is right** (qa/search/calibration.py): that the archive
   answers (a logistic model of the answer's features, fitted between the tuning questions
   asked of their own archive whose first passage holds the answer and the same kinds of
   questions asked of an archive about other things: squad11-dev's tuning questions and
   nq-qed-dev's asked of the news, realtimeqa-dev's tuning half asked of the Wikipedia
   paragraphs), times that the answer is right when it does (a logistic model fitted on the
   answerable ones: right when the short answer matches a gold answer). Five folds by
   article give every question a probability from models that did not see it: its
   reliability table.
3. **The bars**: the answer bar keeps ``KEEP`` of the answerable tuning questions whose first
   passage holds the answer answered; the likely bar is the lowest from which ``PRECISION``
   of the answers given are right (out of fold).

With --write, the choice goes into qa/models/reader.json ("calibration") and the tuning
figures into bench/data/calibration.json (docs/reader.md's table is made from it).
realtimeqa-dev's report half and squad11-dev's validation articles are never asked here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import reader_data  # noqa: E402
from reader_tune import holds, matches  # noqa: E402
from scratch_index import build_index  # noqa: E402
from splits import news_part  # noqa: E402

from qa.retriever import Index  # noqa: E402
from qa.search import FEATURES, Calibration, Logistic, decide, reads_of  # noqa: E402
from qa.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CONFIG = ROOT / "qa" / "models" / "reader.json"
REPORT = ROOT / "bench" / "data" / "calibration.json"
KEEP = 0.96  # answerable tuning questions whose first passage holds the answer, kept answered
PRECISION = 0.90  # of the answers called likely, right (out of fold, tuning questions)
FOLDS, SEED, L2, STEPS, RATE = 5, 21, 1e-2, 4000, 0.2
ELSEWHERE_NQ = 400  # nq-qed-dev questions also asked of the news (a sample)
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
log = logging.getLogger("calibrate")


@dataclass
class Asked:
    """One question asked of one archive: what the reader found, and the gold answers."""

    set: str  # wiki, news (answerable: their own archive), or elsewhere-* (another archive)
    group: str  # article or paragraph of the question (folds keep a group together)
    question: str
    answers: tuple[str, ...]
    read: dict  # chunk id -> qa.search.Read, as Index.retrieve gives them to the verdict
    first_holds: bool  # the best-ranked passage holds a gold answer
    ranked_text: str  # the old way's answer: the best-ranked read passage's span
    texts: dict  # chunk id -> the text of each passage read

    @property
    def answerable(self) -> bool:
        """Asked of its own archive (the paragraph or article it was written from is there)."""
        return self.set in ("wiki", "news")


def ask_all(index: Index, qs: list[tuple[str, str, str, tuple[str, ...]]]) -> list[Asked]:
    from tqdm import tqdm

    out = []
    for label, group, question, answers in tqdm(qs, desc="asking", unit="q", mininterval=10):
        try:
            ev = index.evidence(question, k=5)
        except Exception as exc:  # a question with no word to search for: skipped, counted
            log.info("skipped %r: %s", question, exc)
            continue
        read = reads_of(ev, set(ev.short))
        first = ev.candidates[0].chunk_id if ev.candidates else None
        ranked = next((r.short.text for r in read.values()), "")
        out.append(Asked(label, group, question, answers, read,
                         first is not None and holds(ev.rows[first].text, answers), ranked,
                         {i: ev.rows[i].text for i in read}))
    return out


TEMPERATURES = (0.02, 0.05, 0.1, 0.2, 0.5)
WAYS = {f"{s}{f'@{t}' if s == 'ranked' else ''}{'+sum' if a else ''}{'+kinds' if k else ''}": (s, a, k, t)
        for s in ("shared", "window", "ranked") for a in (False, True) for k in (False, True)
        for t in (TEMPERATURES if s == "ranked" else (0.1,))}


def verdicts(asked: list[Asked], way: tuple[str, bool, bool, float]):
    flat = Logistic(tuple([0.0] * len(FEATURES)), tuple([1.0] * len(FEATURES)), tuple([0.0] * len(FEATURES)), 0.0)
    dummy = Calibration(flat, flat, 0.0, 1.0, *way)
    return [decide(a.question, a.read, dummy) for a in asked]


def accuracy(asked: list[Asked], texts: list[str]) -> float:
    return sum(matches(t, a.answers) for a, t in zip(asked, texts) if t) / max(1, len(asked))


def lead_holds(asked: list[Asked], leads: list[str]) -> float:
    """The share of questions whose quoted sentence holds a gold answer."""
    return sum(holds(t, a.answers) for a, t in zip(asked, leads) if t) / max(1, len(asked))


def figures_of(asked: list[Asked], found: list) -> dict:
    """Short answer and lead sentence, of the Wikipedia and the news tuning questions."""
    out = {}
    for s in ("wiki", "news"):
        mine = [(a, v) for a, v in zip(asked, found) if a.set == s]
        qs = [a for a, _ in mine]
        out[s] = accuracy(qs, [v.answer.text if v else "" for _, v in mine])
        out[s + " lead"] = lead_holds(qs, [a.texts[v.chunk_id][slice(*v.answer.sentence)] if v else ""
                                           for a, v in mine])
    return out


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray):
    """Weighted logistic regression on standardized features (full-batch gradient descent, L2)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    coef, bias, w = np.zeros(z.shape[1]), 0.0, w / w.mean()
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-(z @ coef + bias)))
        g = w * (p - y)
        coef -= RATE * (z.T @ g / len(y) + L2 * coef)
        bias -= RATE * g.mean()
    return mean, scale, coef, bias


def predict(model, x: np.ndarray) -> np.ndarray:
    mean, scale, coef, bias = model
    return 1 / (1 + np.exp(-(((x - mean) / scale) @ coef + bias)))


def weights_of(asked: list[Asked]) -> np.ndarray:
    """Wikipedia and news tuning questions 80 / 20 of the answerable weight; the questions
    asked elsewhere (or near) as much as the answerable ones, each such set the same."""
    counts: dict[str, int] = {}
    for a in asked:
        counts[a.set] = counts.get(a.set, 0) + 1
    share = {"wiki": 0.8, "news": 0.2}
    others = [s for s in counts if s not in share]
    return np.array([share[a.set] / counts[a.set] if a.set in share else 1.0 / len(others) / counts[a.set]
                     for a in asked])


def reliability(p: np.ndarray, y: np.ndarray) -> list[dict]:
    rows = []
    for lo, hi in zip(BINS, BINS[1:]):
        inside = (p >= lo) & (p < hi)
        if inside.any():
            rows.append({"from": lo, "to": min(hi, 1.0), "answers": int(inside.sum()),
                         "mean_probability": round(float(p[inside].mean()), 3),
                         "right": round(float(y[inside].mean()), 3)})
    return rows


def near_half(q) -> bool:
    """squad11-dev tuning paragraphs in two halves: the questions of this one are asked of an
    index without their own paragraph (bench/calibrate.py's near-topic questions)."""
    return q.source == "squad11-dev" and int(hashlib.sha1(f"near:{q.paragraph}".encode()).hexdigest(), 16) % 2 == 0


def near_index(tune_qs: list, work: Path) -> Index:
    """Every tuning paragraph but those of the near half: the near half's questions find other
    paragraphs of their own article there, not their own."""
    return build_index("near-index", [q for q in tune_qs if not near_half(q)], work)


def calibrate(wiki_index: Index, news_index: Index, near: Index) -> dict:
    """The figures of every way tried and the calibration chosen (``figures["calibration"]``)."""
    tune_qs = reader_data.questions("tune")
    news = [json.loads(line) for line in open(DATA / "realtimeqa-dev" / "questions.jsonl", encoding="utf-8")]
    news = [q for q in news if news_part(q) == "tune"]
    rng = random.Random(SEED)
    wiki = [("wiki", q.paragraph, q.question, q.answers) for q in tune_qs]
    squad_elsewhere = [("elsewhere-squad", q.paragraph, q.question, q.answers) for q in tune_qs
                       if q.source == "squad11-dev"]
    nq_elsewhere = [("elsewhere-nq", q.paragraph, q.question, q.answers)
                    for q in rng.sample([q for q in tune_qs if q.source != "squad11-dev"], ELSEWHERE_NQ)]
    news_own = [("news", q["article_id"], q["question"], tuple(q["answers"])) for q in news]
    news_elsewhere = [("elsewhere-news", q["article_id"], q["question"], tuple(q["answers"])) for q in news]
    near_qs = [("near-squad", q.paragraph, q.question, q.answers) for q in tune_qs if near_half(q)]
    asked = ask_all(wiki_index, wiki + news_elsewhere) + ask_all(news_index, news_own + squad_elsewhere + nq_elsewhere)
    return fit_all(asked + ask_all(near, near_qs))


def passed_over(asked: list[Asked], way: tuple[str, bool, bool, float]) -> dict[str, int]:
    """The answers the kind check passes over (chosen without it, not with it): how many
    of them were right and wrong."""
    plain = verdicts(asked, (way[0], way[1], False, way[3]))
    checked = verdicts(asked, (way[0], way[1], True, way[3]))
    out = {"right": 0, "wrong": 0}
    for a, p, c in zip(asked, plain, checked):
        if p is not None and (c is None or c.answer.text != p.answer.text):
            out["right" if matches(p.answer.text, a.answers) else "wrong"] += 1
    return out


def fit_all(asked: list[Asked]) -> dict:
    """Everything after asking: the way answers meet, the model, the bars, the figures."""
    answerable = [a for a in asked if a.answerable]
    table = {}
    for s in ("wiki", "news"):  # the old way: the best-ranked read passage's best span and its sentence
        qs = [a for a in answerable if a.set == s]
        table.setdefault("ranked (before)", {})[s] = accuracy(qs, [a.ranked_text for a in qs])
        table["ranked (before)"][s + " lead"] = lead_holds(qs, [
            a.texts[i][slice(*a.read[i].short.sentence)] if (i := next(iter(a.read), None)) is not None else ""
            for a in qs])
    for name, way in WAYS.items():
        table[name] = figures_of(answerable, verdicts(answerable, way))
    for name, row in table.items():
        log.info("%-22s %s", name, " ".join(f"{k} {v:.4f}" for k, v in row.items()))
    plain = [n for n in WAYS if not WAYS[n][2]]
    best = max(plain, key=lambda n: (sum(table[n].values()), n))  # short answer and lead, both sets
    kinds = passed_over(answerable, WAYS[best])  # on when what it passes over is mostly wrong
    way = (*WAYS[best][:2], kinds["wrong"] > kinds["right"], WAYS[best][3])
    chosen = best + ("+kinds" if way[2] else "")
    found = verdicts(asked, way)
    kept = [(a, v) for a, v in zip(asked, found) if v is not None]
    x = np.array([v.features for _, v in kept])
    y = np.array([float(matches(v.answer.text, a.answers)) for a, v in kept])
    w = weights_of([a for a, _ in kept])
    own = np.array([a.answerable for a, _ in kept])
    first = np.array([a.first_holds for a, _ in kept])
    near = np.array([a.set.startswith("near") for a, _ in kept])
    covered = first.astype(float)  # the archive answers it: its first passage holds the answer
    both = first | ~own  # what the first model tells apart (not: own archive, answer further down)
    seen = own | near  # what the second model learns from: archives that may hold the answer
    groups = sorted({a.group for a, _ in kept})
    random.Random(SEED).shuffle(groups)
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    folds = np.array([fold_of[a.group] for a, _ in kept])
    oof = np.zeros(len(kept))
    for f in range(FOLDS):
        train, held = folds != f, folds == f
        answers = fit(x[train & both], covered[train & both], w[train & both])
        right = fit(x[train & seen], y[train & seen], w[train & seen])
        oof[held] = predict(answers, x[held]) * predict(right, x[held])
    models = {"answers": fit(x[both], covered[both], w[both]), "right": fit(x[seen], y[seen], w[seen])}
    answer_bar = float(np.quantile(oof[own & first], 1 - KEEP))
    given = own & (oof >= answer_bar)
    likely_bar = 1.0
    for t in sorted(set(np.round(oof[given], 3))):
        chosen_rows = given & (oof >= t)
        if chosen_rows.sum() >= 20 and np.average(y[chosen_rows], weights=w[chosen_rows]) >= PRECISION:
            likely_bar = float(t)
            break
    calibration = {name: {"mean": [round(float(v), 6) for v in m[0]], "scale": [round(float(v), 6) for v in m[1]],
                          "weights": [round(float(v), 6) for v in m[2]], "bias": round(float(m[3]), 6)}
                   for name, m in models.items()}
    calibration |= {"answer_bar": round(answer_bar, 4), "likely_bar": round(likely_bar, 4), "scale_by": way[0],
                    "aggregate": way[1], "kinds": way[2], "temperature": way[3], "features": list(FEATURES)}
    sets = sorted({a.set for a in asked})
    figures = {"ways": {k: {s: round(v, 4) for s, v in row.items()} for k, row in table.items()}, "chosen": chosen,
               "kinds_passed_over": kinds,
               "questions": {s: sum(a.set == s for a in asked) for s in sets},
               "no_answer_of_the_kind": {s: sum(a.set == s for a in asked) - sum(a.set == s for a, _ in kept)
                                         for s in sets},
               "reliability_out_of_fold_answerable": reliability(oof[own], y[own]),
               "refused_elsewhere_out_of_fold": {s: round(float(np.mean(
                   [p < answer_bar for (a, _), p in zip(kept, oof) if a.set == s and not a.first_holds] +
                   [True] * (sum(a.set == s for a in asked) - sum(a.set == s for a, _ in kept)))), 4)
                   for s in sets if s not in ("wiki", "news")},
               "answered_when_first_holds_out_of_fold": round(float(np.mean(oof[own & first] >= answer_bar)), 4),
               "right_of_answered_out_of_fold": {s: round(float(np.mean(y[given & (np.array([a.set for a, _ in kept])
                                                                                      == s)])), 4)
                                                 for s in ("wiki", "news")},
               "likely_right_out_of_fold": round(float(np.average(y[given & (oof >= likely_bar)],
                                                                  weights=w[given & (oof >= likely_bar)])), 4),
               "calibration": calibration}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune-index", type=Path, required=True)
    parser.add_argument("--news-index", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "article-qa" / "reader-training",
                        help="where the near-topic index is built (once, then reused)")
    parser.add_argument("--write", action="store_true", help="write reader.json's calibration and the figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = Settings(reader=True)
    near = near_index(reader_data.questions("tune"), args.work)
    near.close()
    with Index.open(args.tune_index, settings=settings) as wiki_index, \
            Index.open(args.news_index, settings=settings, embedder=wiki_index.embedder) as news_index, \
            Index.open(near.path, settings=settings, embedder=wiki_index.embedder) as near_topic:
        figures = calibrate(wiki_index, news_index, near_topic)
    if args.write:
        write(figures, CONFIG)
    print(json.dumps(figures, indent=2) if args.json else json.dumps({k: figures[k] for k in (
        "chosen", "refused_elsewhere_out_of_fold", "likely_right_out_of_fold", "calibration")}, indent=2))


def markdown(figures: dict) -> str:
    """The tuning figures as docs/reader.md shows them (tests/test_docs.py checks they match)."""
    ways = figures["ways"]
    lines = ["| way (tuning questions) | Wikipedia: short answer / lead | realtimeqa-dev tuning half: short "
             "answer / lead |", "|---|---|---|"]
    for name in ["ranked (before)", *sorted(k for k in ways if k != "ranked (before)")]:
        row = ways[name]
        mark = "**" if name == figures["chosen"] else ""
        lines.append(f"| {mark}{name}{mark} | {row['wiki']:.3f} / {row['wiki lead']:.3f} | "
                     f"{row['news']:.3f} / {row['news lead']:.3f} |")
    lines += ["", "| probability (out of fold) | answers | mean probability | right |", "|---|---|---|---|"]
    for r in figures["reliability_out_of_fold_answerable"]:
        lines.append(f"| {r['from']:.1f}-{r['to']:.1f} | {r['answers']} | {r['mean_probability']:.3f} | "
                     f"{r['right']:.3f} |")
    return "\n".join(lines) + "\n"


def summary(figures: dict) -> dict:
    """What the data card says of the calibration."""
    return {"chosen": figures["chosen"], "answered_when_first_holds": figures["answered_when_first_holds_out_of_fold"],
            "refused_elsewhere": figures["refused_elsewhere_out_of_fold"],
            "likely_right": figures["likely_right_out_of_fold"]}


def write(figures: dict, config_path: Path) -> None:
    """The calibration into the reader's settings, the figures beside the bench."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.pop("refusal", None)
    config["calibration"] = figures["calibration"]
    config["calibrated"] = summary(figures)
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    REPORT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s and %s", config_path, REPORT)


if __name__ == "__main__":
    main()

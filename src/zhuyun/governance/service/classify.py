"""Category and urgency of a work order from its Chinese text.

Character 1–3-grams (TF-IDF, sublinear) feed two linear SVMs (scikit-learn): one for the
category, one for the urgency. Character n-grams need no segmentation, so new place names
and typos do not fall out of the vocabulary; jieba words added nothing measurable on the
demo corpus. The model is trained from the demo corpus (`corpus.py`: its first 80 % —
the last 20 % is held out and the accuracy on it reported) plus every category correction
a handler made, so corrections feed training: each process retrains when the number of
corrections changed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.governance.models import CategoryCorrection
from zhuyun.governance.service import corpus

CORPUS_SIZE = 6_000
CORPUS_SEED = 2024
TRAIN_SHARE = 0.8
CORRECTION_WEIGHT = 3  # a handler's correction counts as this many corpus samples


@dataclass(frozen=True)
class Prediction:
    category: str
    urgency: str
    confidence: float  # of the category, 0..1 (a softmax of the SVM's margins)


@dataclass(frozen=True)
class Evaluation:
    train_size: int
    test_size: int
    category_accuracy: float
    urgency_accuracy: float


class Classifier:
    def __init__(self, texts: Sequence[str], categories: Sequence[str], urgencies: Sequence[str]):
        self.vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2
        )
        features = self.vectorizer.fit_transform(texts)
        self.category_model = LinearSVC(C=0.5).fit(features, categories)
        self.urgency_model = LinearSVC(C=0.5, class_weight="balanced").fit(features, urgencies)
        self.trained_on = len(texts)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        features = self.vectorizer.transform(texts)
        scores = self.category_model.decision_function(features)
        urgencies = self.urgency_model.predict(features)
        exp = np.exp((scores - scores.max(axis=1, keepdims=True)) * 3)
        confidence = exp.max(axis=1) / exp.sum(axis=1)
        labels = self.category_model.classes_[scores.argmax(axis=1)]
        return [
            Prediction(str(c), str(u), round(float(p), 3))
            for c, u, p in zip(labels, urgencies, confidence, strict=True)
        ]

    def predict_one(self, text: str) -> Prediction:
        return self.predict([text])[0]


def split_corpus() -> tuple[list[corpus.Sample], list[corpus.Sample]]:
    samples = list(corpus.generate(CORPUS_SIZE, CORPUS_SEED))
    cut = int(len(samples) * TRAIN_SHARE)
    return samples[:cut], samples[cut:]


def train(corrections: Sequence[tuple[str, str]] = ()) -> Classifier:
    """A classifier trained on the corpus's training part and (text, category) corrections."""
    training, _ = split_corpus()
    texts = [s.text for s in training]
    categories = [s.category for s in training]
    urgencies = [s.urgency for s in training]
    for text, category in corrections:
        texts += [text] * CORRECTION_WEIGHT
        categories += [category] * CORRECTION_WEIGHT
        urgencies += ["normal"] * CORRECTION_WEIGHT
    return Classifier(texts, categories, urgencies)


def evaluate(classifier: Classifier | None = None) -> Evaluation:
    """Accuracy on the held-out part of the corpus (never trained on)."""
    training, held_out = split_corpus()
    model = classifier or train()
    predicted = model.predict([s.text for s in held_out])
    return Evaluation(
        train_size=len(training),
        test_size=len(held_out),
        category_accuracy=float(
            np.mean([p.category == s.category for p, s in zip(predicted, held_out, strict=True)])
        ),
        urgency_accuracy=float(
            np.mean([p.urgency == s.urgency for p, s in zip(predicted, held_out, strict=True)])
        ),
    )


_lock = threading.Lock()
_cache: dict[str, tuple[int, Classifier]] = {}


def _key(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def classifier(session: Session) -> Classifier:
    """This process's classifier for the session's database, retrained when corrections
    were added since it was trained."""
    count = session.scalar(select(func.count()).select_from(CategoryCorrection)) or 0
    key = _key(session)
    cached = _cache.get(key)
    if cached is not None and cached[0] == count:
        return cached[1]
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == count:
            return cached[1]
        rows = session.execute(
            select(CategoryCorrection.text, CategoryCorrection.new_category)
            .order_by(CategoryCorrection.id)
            .limit(50_000)
        ).all()
        model = train([(str(t), str(c)) for t, c in rows])
        _cache[key] = (count, model)
        return model

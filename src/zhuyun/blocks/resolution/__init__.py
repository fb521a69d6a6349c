"""Entity resolution (实体识别) for block data: people by resident ID number, enterprises by
unified social credit code, and fuzzy matching (name, birth date, address placed in its
divisions, pinyin and character similarity) where keys are missing or fail their check.

`engine.resolve_people` / `resolve_enterprises` cluster records; `scoring` explains every
score; `demo` makes a set with known duplicates and injected errors and measures precision and
recall; `service` reads a population resource through the exchange for the demo evaluation.
"""

"""The stored analysis format's version, importable without numpy (the store checks it on
every open; `summarizers.analysis` writes and reads the format)."""

# The stored form's version: bump it whenever analyze() or the layout changes, and stores
# re-analyze their articles on next open (the text is kept, so nothing is lost).
# 6: sentences stored as (start, end) spans into the stored text instead of their text.
# 7: spans, per-sentence term counts (not bounds), word counts and paragraph numbers stored in
#    1, 2 or 4 bytes as their values need; 20-30% smaller than format 6.
# 8: Reuters-style datelines with a date ("NEW YORK, Nov 30 (Reuters) - "), upper-case bylines
#    run into a dateline, and "PLACE/PLACE" stripped from sentences.
# 9: a dash before a lower-case word after a place or a date with no agency is an aside, not a
#    dateline ("NASA — the agency that … — said" keeps its subject).
# 10: no term ids (sentences' and title's), word counts or term bounds: computed again from
#     the sentences and the title when read (analyze's own functions), in the language the
#     blob keeps (none for English); spans as (gap, length); paragraph steps and gaps share
#     the flag byte when small; header numbers as varints.  390 -> ~23 bytes an article on
#     the bench store.
FORMAT = 10

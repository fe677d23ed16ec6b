"""Spec loaders: the edge where files become `slo.model` objects.

`discover.load_file` splits a spec file into documents, detects each document's format the
way Sloth does (regexes on the raw text) and hands it to that format's loader (`sloth`,
`openslo`, `openslo_v1`, `native`). Loaders never
raise on bad input: they return what they could build plus the problems they found.
"""

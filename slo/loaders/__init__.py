"""Spec loaders: the edge where files become `slo.model` objects.

`load_paths` finds spec files, splits them into documents, detects each document's format the
way Sloth does (regexes on the raw text) and hands it to that format's loader. Loaders never
raise on bad input: they return what they could build plus the problems they found.
"""

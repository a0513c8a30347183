"""Lessons: data files with a goal, hints and a Check that reads the live state
(``lessons``: the format and its rules; ``checks``: the named checks; ``progress``: what a
learner has done). No Streamlit here; the Learn page and ``kwk/ui/lesson.py`` use it."""

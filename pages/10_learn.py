"""Learn: a path of lessons, each with a goal, hints on request and a Check."""
import streamlit as st

from kwk.ui.lesson import (
    PAGE_FILES,
    close_lesson,
    heading,
    lesson_panel,
    lessons,
    open_lesson,
    progress,
    start,
)
from kwk.ui.runtime import ensure_navigation
from kwk.ui.words import glossary_box

ensure_navigation()

st.title("🎓 Learn")
st.caption("Learn deep learning by doing it: each lesson sets KwK up, gives you one goal, hints "
           "when you ask, and a **Check** that looks at what you have and says how close you "
           "are. No code needed.")
all_lessons, refused = lessons()
for err in refused:  # a teacher's file with a mistake: its line and the reason
    st.error(f"A lesson file was left out:\n\n{err.message}\n\n{err.hint}", icon="📄")
p = progress()
done = set(p.done)

current = open_lesson()
if current is not None:
    with st.container(border=True):
        st.subheader(heading(current) + (" ✓" if current.id in done else ""))
        if current.intro:
            st.markdown(current.intro)
        lesson_panel(current, "learn")
        b1, b2, _ = st.columns([1.4, 1, 2])
        target = PAGE_FILES[current.page]
        b1.page_link(target, label=f"Go to the {current.page.capitalize()} page", icon="➡️")
        if b2.button("Close the lesson", key="learn_close"):
            close_lesson()
            st.rerun()

st.subheader("Lessons")
st.caption(f"{len(done & {x.id for x in all_lessons})} of {len(all_lessons)} done. Start "
           "sets everything up for the lesson and takes you to its page; its goal and the "
           "Check button stay in the sidebar while you work.")
next_up = next((x.id for x in all_lessons if x.id not in done), None)
for i, lesson in enumerate(all_lessons, 1):
    with st.container(border=True):
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        mark = " ✓" if lesson.id in done else ""
        c1.markdown(f"**Lesson {i} — {lesson.title}**{mark}")
        if lesson.summary:
            c1.caption(lesson.summary)
        again = lesson.id in done or (current is not None and current.id == lesson.id)
        if c2.button("Start again" if again else "Start", key=f"learn_start_{lesson.id}",
                     type="primary" if lesson.id == next_up and not again else "secondary",
                     width="stretch"):
            start(lesson)

st.subheader("Glossary", anchor="glossary")
st.caption("Every word of deep learning that KwK shows, in plain words. Turn on **Plain words** "
           "in the sidebar to see these words on every page instead of the jargon; point at the "
           "? beside a setting to read what it means.")
with st.container(key="learn_glossary"):
    glossary_box("learn")

"""Challenge: a teacher sets a task on a table and keeps the answers (student.zip for the class,
key.csv for the teacher) and ranks the submissions; a student opens student.zip, trains, sees
the run's score against the goal and downloads a submission (row_id, prediction)."""
import streamlit as st

from kwk.ui.challenge import loaded_challenge, student_tab, teacher_tab
from kwk.ui.runtime import ensure_navigation

ensure_navigation()

st.title("🏆 Challenge")
st.caption("A class challenge with hidden answers: the teacher keeps the true values of the test "
           "rows, the students train on the rest and hand in their predictions.")
STUDENT, TEACHER = "🎓 Student", "🧑‍🏫 Teacher"
student, teacher = st.tabs([STUDENT, TEACHER],
                           default=STUDENT if loaded_challenge() else TEACHER)
with student:
    student_tab()
with teacher:
    teacher_tab()

"""nbgrader configuration: solutions/ is the source, lessons/ the release."""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = "lstm-from-parts"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"

# A cell that runs longer than this while grading is interrupted and fails; the rest still runs.
c.Execute.timeout = 30

# Feedback shows the test cells without their hidden part (stock nbgrader shows them whole).
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# Tracebacks in graded notebooks show only the exception and its message: the checks' messages say
# what is wrong, and the lines around a failing test would show the hidden part in the feedback.
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode=Minimal"]

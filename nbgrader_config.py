"""nbgrader configuration: solutions/ is the source, lessons/ the release."""
c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = "lstm-from-parts"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"

# A cell that runs longer than this while grading is interrupted and fails; the rest still runs.
c.Execute.timeout = 30

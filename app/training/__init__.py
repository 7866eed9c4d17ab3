"""Training: courses, sessions, enrolments with waiting lists, trainers, and nabohjelp
(neighbour help). Built by a later issue."""

"""The worker: the only code that ever talks to a student's code.

`sandbox.py` starts the student's kernel in isolation and runs the notebook's cells there;
`examiner.py` runs the test cells here, calling the student's functions through a pipe.
Nothing in this folder trusts what the kernel says.
"""

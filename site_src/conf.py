# Sphinx configuration of `make site` (autograder/instructor/site.py copies it into the build folder beside the pages).
project = "LSTM from its parts"
author = "the course's authors"
extensions = ["myst_nb"]
exclude_patterns = ["_build"]

nb_execution_mode = "off"             # the notebooks arrive executed, with a right solution's outputs
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]   # the notebooks' headings start at the page title and may skip levels

mathjax_path = "mathjax/tex-chtml.js"  # relative: served from the site's _static, no CDN

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_theme_options = {"show_toc_level": 2, "use_download_button": False}
html_last_updated_fmt = None
html_copy_source = False              # the pages are the course; the prepared notebooks stay in the build folder
html_show_sourcelink = False

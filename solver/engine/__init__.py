"""The machinery under the pipeline (solver/pipeline.py), each piece in one module:

    store      every cached thing, in OUT/.work and the per-user cache; write_atomic
    workers    the worker processes a build forks
    drawing    figures drawn in those workers while LaTeX runs
    mpl        matplotlib as the figures use it, the same on every machine
    pdflatex   LaTeX passes, sandboxed, as many as the references need
    publish    all outputs or none, one build at a time per directory
    signals    Ctrl-C, SIGTERM and SIGHUP: one line, outputs kept whole
    toolchain  finding or installing TeX
"""

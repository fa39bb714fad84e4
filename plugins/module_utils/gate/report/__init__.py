# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gate reports, one file per output: ``markdown`` (operators, AWX), ``junit`` (CI),
``html`` with ``chart`` (people: a self-contained page with inline SVG), ``evidence``
(the bundle whose sha256 goes in the ledger) and ``writer`` (``write_all``: every file
of one evaluation, redacted, with the JSON report for machines). ``summary`` holds the
sentences they share and ``values`` how numbers and text are written. Standard library only.
"""

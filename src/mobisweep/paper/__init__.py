"""The MobileNet v1 paper reproduced: its published figures (``published``), mobisweep's counts
beside them (``counts``), and the committed reference sweeps (``experiments``) with their tables
(``tables``), plots (``plots``), budget ladders (``ladder``, ``ladder_plots``) and the α×ρ×depth
design space (``design_space``)."""

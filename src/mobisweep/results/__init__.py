"""A sweep's results, generic over what was swept: the study summarized (``summary``), its table
(``table``), ``trials.csv`` (``trials_csv``), the report page (``panels`` drawn by
``report_page``), W&B's summary run (``wandb_summary``), what a finished sweep writes
(``outputs``), and one way to name the study to read (``sources``). Nothing here knows the
paper's experiments (``mobisweep.paper``)."""

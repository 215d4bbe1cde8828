"""What every room shares and none owns: the figures a trial measures (``metrics``), Pareto fronts
and hypervolume (``pareto``), and files written whole or not at all (``atomic_files``)."""

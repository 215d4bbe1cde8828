"""A config composed and checked before any compute: where the configs live (``loading``), the
checks that need no training stack (``validate``, ``settings``, ``paths_check``, ``memory_fit``),
the one error users see (``errors``) and how a command prints and exits (``console``). Nothing here
imports torch or Lightning: a refusal takes about a second."""

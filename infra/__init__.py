"""How shelfwise runs: settings, local services, the lake, the warehouse and the command line."""

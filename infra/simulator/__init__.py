"""A retail chain that behaves like one: the POS event simulator and the M5 replay."""

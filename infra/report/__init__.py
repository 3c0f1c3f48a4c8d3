"""`shelfwise report`: one self-contained HTML file with the Power BI report's five pages as charts."""

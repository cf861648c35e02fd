"""Jobs: the edges of devzone — read the database, run the rules, write results and files."""

"""Files for people: workbooks, notices, HTML reports, charts and their templates."""

"""Election results: the election definition and the caucus math, pure (no Redis, no Flask).

- election.py: who is on the ballot, the rules kind, and each precinct's delegates and
  its county's SDE ratio, loaded from hotline/elections/NAME.toml;
- report.py: what a precinct reports (attendance, first and final alignment, coin tosses);
- iowa2020.py: the 2020 Iowa caucus math (viability, delegates, rounding fix-ups, SDEs);
- votecount.py: the plain `vote-count` kind (votes per candidate, ballots cast);
- checks.py: every inconsistency of a report, blocking or a warning, as a readable reason;
- published.py: the party's published results file read into reports, for `results check`.
"""

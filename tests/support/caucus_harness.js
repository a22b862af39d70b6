// Runs hotline/console/static/caucus.js on the cases read from stdin (JSON) and prints
// what it computes, for tests/integration/test_caucus_js.py to compare with the Python.
// stdin: {"script": path, "election": {name, candidates}, "cases": [{report, rules}]}
"use strict";
const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const caucus = require(input.script);
  const out = input.cases.map(({ report, rules }) => {
    const allocation = rules ? caucus.allocate(report, rules) : null;
    return {
      allocation: allocation && {
        threshold: allocation.threshold,
        viable: allocation.viable,
        delegates: allocation.delegates,
        sdes: allocation.sdes,
        ties: allocation.ties.map((t) => ({ between: t.between, stake: t.stake,
                                            settled: t.settled_by !== null })),
      },
      findings: caucus.check(report, input.election, rules),
    };
  });
  process.stdout.write(JSON.stringify(out));
});

#!/usr/bin/env node
// `npm run check:commits` (part of `npm run lint`): every commit after SINCE has a subject of one
// line of at most 72 characters, and a blank line between the subject and the body, so that
// `git log --oneline`, GitHub and e-mail patches show whole subjects. Commits up to SINCE predate
// the rule and are left as they are. Outside a git checkout it says so and passes; in a shallow
// clone that lacks SINCE it checks the commits it has.
import { spawnSync } from "node:child_process";

const SINCE = "25ec03665c156145b4a6190f7e5b8e3a06c298d2";
const MAX = 72;

const git = (...args) => spawnSync("git", args, { encoding: "utf8" });

if (git("rev-parse", "--is-inside-work-tree").stdout.trim() !== "true") {
  console.log("check:commits: not a git checkout, nothing to check");
  process.exit(0);
}
const known = git("cat-file", "-e", `${SINCE}^{commit}`).status === 0;
const range = known ? [`${SINCE}..HEAD`] : ["-n", "1", "HEAD"];
// One record per commit: hash, NUL, the whole message, then a record separator.
const log = git("log", "--format=%h%x00%B%x1e", ...range);
if (log.status !== 0) {
  console.error(`check:commits: git log failed: ${log.stderr.trim()}`);
  process.exit(2);
}
const problems = [];
let count = 0;
for (const record of log.stdout.split("\x1e")) {
  const [hash, message] = record.replace(/^\n/, "").split("\0");
  if (!hash || message === undefined) continue;
  count++;
  const [subject = "", second] = message.split("\n");
  if (subject.length > MAX)
    problems.push(`${hash}: subject is ${subject.length} characters (at most ${MAX}): ${subject}`);
  if (second !== undefined && second.trim() !== "") {
    problems.push(`${hash}: the subject is not followed by a blank line: ${subject}`);
  }
}
if (problems.length > 0) {
  console.error(`check:commits: ${problems.length} problem(s):\n${problems.join("\n")}`);
  process.exit(1);
}
console.log(
  `check:commits: ${count} commit(s) ${known ? `after ${SINCE}` : "(the head commit only: this clone lacks the first one checked)"} have subjects of at most ${MAX} characters`,
);

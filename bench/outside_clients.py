"""The 36 outside-client checks of a TLS server: what scanners and other TLS stacks say of it.

    python bench/outside_clients.py HOST:PORT [--testssl testssl] [--sslyze sslyze]
        [--gnutls-cli gnutls-cli] [--curl curl] [--out DIR]

By hand, never in CI: it needs testssl.sh (3.0+), sslyze (6.x, e.g. in a venv of its own),
gnutls-cli and curl.  The server is meant to be ``bench/hardened_server.py --app http``:
the checks send HTTP requests.  The certificate is not checked (a throwaway self-signed
one); what is checked is the protocol: versions, cipher classes, the known
vulnerabilities, renegotiation and session resumption.

* testssl.sh, 30 checks (``-p -s -f -U``, its JSON findings by id): a check passes when
  testssl rates the finding OK or INFO and, for the protocols, says what is expected
  (TLS 1.2 and 1.3 offered, nothing older).
* sslyze, 3: session-id resumption fully supported, client-initiated renegotiation
  refused, extended master secret supported.
* gnutls-cli, 2: a TLS 1.2 client's rehandshake is refused; a TLS 1.3 session resumes.
* curl, 1: an HTTP request over TLS 1.2 is answered.

One line per check, PASS or FAIL with what the tool said, then "N of M checks passed".
The tools' own output goes to ``--out`` (default ``./outside-<port>``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TESTSSL_OFFERED = ["TLS1_2", "TLS1_3"]  # "offered", "offered with final"
TESTSSL_NOT_OFFERED = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "cipherlist_NULL",
                       "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                       "cipherlist_3DES_IDEA"]
TESTSSL_NOT_VULNERABLE = ["PFS", "heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego",
                          "secure_client_renego", "CRIME_TLS", "BREACH", "POODLE_SSL",
                          "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM",
                          "LOGJAM-common_primes", "BEAST", "LUCKY13", "RC4"]
GOOD_SEVERITY = {"OK", "INFO"}
TOOL_TIMEOUT = 900  # seconds: a full testssl run takes about one minute here


@dataclass(frozen=True)
class Result:
    """One check: its name, whether it passed, and what the tool said."""

    name: str
    passed: bool
    said: str


def run(command: list[str], log: Path) -> subprocess.CompletedProcess[str]:
    """Run one tool with no input, its output kept in ``log``."""
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=TOOL_TIMEOUT, check=False)
    log.write_text(done.stdout + done.stderr)
    return done


def testssl_checks(tool: str, target: str, out: Path) -> list[Result]:
    report = out / "testssl.json"
    report.unlink(missing_ok=True)
    run([tool, "--quiet", "--color", "0", "--warnings", "off", "-p", "-s", "-f", "-U",
         "--jsonfile", str(report), target], out / "testssl.log")
    findings = ({f["id"]: f for f in json.loads(report.read_text())}
                if report.exists() else {})

    def check(finding_id: str, good: Callable[[dict[str, str]], bool]) -> Result:
        finding = findings.get(finding_id)
        if finding is None:
            return Result(f"testssl {finding_id}", False, "no finding (scan failed?)")
        said = f"{finding['severity']}: {finding['finding']}"
        return Result(f"testssl {finding_id}", good(finding), said)

    def offered(finding: dict[str, str]) -> bool:
        return finding["finding"].startswith("offered")

    def not_offered(finding: dict[str, str]) -> bool:
        return finding["finding"].startswith("not offered")

    def rated_good(finding: dict[str, str]) -> bool:
        return finding["severity"] in GOOD_SEVERITY

    results = [check(i, offered) for i in TESTSSL_OFFERED]
    results += [check(i, not_offered) for i in TESTSSL_NOT_OFFERED]
    results += [check(i, rated_good) for i in TESTSSL_NOT_VULNERABLE]
    return results


def sslyze_checks(tool: str, target: str, out: Path) -> list[Result]:
    report = out / "sslyze.json"
    report.unlink(missing_ok=True)
    run([tool, "--quiet", "--mozilla_config", "disable", "--json_out", str(report),
         "--resum", "--reneg", "--ems", target], out / "sslyze.log")
    scan: dict[str, dict[str, object]] = {}
    if report.exists():
        scan = json.loads(report.read_text())["server_scan_results"][0]["scan_result"] or {}

    def check(name: str, command: str, key: str, want: object) -> Result:
        result = (scan.get(command) or {}).get("result")
        value = result.get(key) if isinstance(result, dict) else "no result"
        return Result(f"sslyze {name}", value == want, f"{key} = {value}")

    return [
        check("session id resumption", "session_resumption",
              "session_id_resumption_result", "FULLY_SUPPORTED"),
        check("client renegotiation refused", "session_renegotiation",
              "is_vulnerable_to_client_renegotiation_dos", False),
        check("extended master secret", "tls_extended_master_secret",
              "supports_ems_extension", True),
    ]


def gnutls_checks(tool: str, host: str, port: str, out: Path) -> list[Result]:
    base = [tool, "--insecure", "-p", port, host]
    rehandshake = run([*base, "--rehandshake", "--priority",
                       "NORMAL:-VERS-ALL:+VERS-TLS1.2"], out / "gnutls-rehandshake.log")
    refused = "No renegotiation is allowed" in rehandshake.stdout + rehandshake.stderr
    accepted = "ReHandshake was completed" in rehandshake.stdout
    resume = run([*base, "--resume", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3"],
                 out / "gnutls-resume.log")
    resumed = "This is a resumed session" in resume.stdout
    return [
        Result("gnutls-cli TLS 1.2 rehandshake refused", refused and not accepted,
               "refused (no_renegotiation)" if refused else
               "accepted" if accepted else f"exit {rehandshake.returncode}"),
        Result("gnutls-cli TLS 1.3 resumption", resumed,
               "resumed" if resumed else f"not resumed (exit {resume.returncode})"),
    ]


def curl_checks(tool: str, host: str, port: str, out: Path) -> list[Result]:
    done = run([tool, "--silent", "--show-error", "--insecure", "--tlsv1.2", "--tls-max", "1.2",
                "--max-time", "30", "--write-out", "%{http_code}", "--output", "/dev/null",
                f"https://{host}:{port}/"], out / "curl.log")
    return [Result("curl HTTP over TLS 1.2", done.stdout == "200",
                   f"HTTP {done.stdout or '-'} (exit {done.returncode})")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="HOST:PORT")
    parser.add_argument("--testssl", default="testssl")
    parser.add_argument("--sslyze", default="sslyze")
    parser.add_argument("--gnutls-cli", default="gnutls-cli")
    parser.add_argument("--curl", default="curl")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    out = args.out or Path(f"outside-{port}")
    out.mkdir(parents=True, exist_ok=True)
    results = [*testssl_checks(args.testssl, args.target, out),
               *sslyze_checks(args.sslyze, args.target, out),
               *gnutls_checks(args.gnutls_cli, host, port, out),
               *curl_checks(args.curl, host, port, out)]
    for result in results:
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.name}: {result.said}")
    print(f"{sum(r.passed for r in results)} of {len(results)} checks passed")


if __name__ == "__main__":
    main()
